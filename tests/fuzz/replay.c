/* Replays files through a libFuzzer harness without libFuzzer: every
 * regular file in the directories named on the command line is read into a
 * buffer of exactly its size (so ASan sees any over-read) and passed to
 * LLVMFuzzerTestOneInput. A missing directory counts as empty. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  struct stat st;
  if (fstat(fileno(f), &st) != 0) return fclose(f), -1;
  size_t n = (size_t)st.st_size;
  uint8_t *buf = malloc(n ? n : 1);
  if (!buf || fread(buf, 1, n, f) != n) return free(buf), fclose(f), -1;
  fclose(f);
  LLVMFuzzerTestOneInput(buf, n);
  free(buf);
  return 0;
}

int main(int argc, char **argv) {
  int files = 0;
  for (int a = 1; a < argc; a++) {
    DIR *d = opendir(argv[a]);
    if (!d) continue;
    struct dirent *e;
    while ((e = readdir(d))) {
      char path[4096];
      struct stat st;
      if (e->d_name[0] == '.') continue;
      if (snprintf(path, sizeof path, "%s/%s", argv[a], e->d_name) >=
          (int)sizeof path)
        continue;
      if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
      if (replay_file(path) != 0) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        return 1;
      }
      files++;
    }
    closedir(d);
  }
  printf("%s: replayed %d files\n", argv[0], files);
  return 0;
}
