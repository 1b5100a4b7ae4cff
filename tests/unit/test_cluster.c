/*
 * Cluster pieces that need no processes: the flags, the frame decoder
 * (fed whole, split, malformed), the report encoding and the stall note
 * (what tells the primary which route blocks a worker now), round-robin
 * receipts. The processes
 * themselves are tested end to end in tests/e2e/test_cluster*.c.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster/frame.h"
#include "cluster/internal.h"
#include "eddy/cluster.h"

Test(cluster_opts, flags_are_taken_out_of_argv) {
  char *argv[] = {"prog", "8080", "--workers", "3", "--heartbeat-ms", "50",
                  "--stall-timeout-ms", "900", "--max-rss-mb", "64",
                  "--grace-ms", "700", "--share", "roundrobin", "--other",
                  NULL};
  int argc = 15;
  eddy_cluster_opts_t o = {0};
  cr_assert_eq(eddy_cluster_opts_parse(&o, &argc, argv), 0);
  cr_assert_eq(argc, 3);
  cr_assert_str_eq(argv[1], "8080");
  cr_assert_str_eq(argv[2], "--other");
  cr_assert_null(argv[3]);
  cr_assert_eq(o.workers, 3);
  cr_assert_eq(o.heartbeat_ms, 50);
  cr_assert_eq(o.stall_timeout_ms, 900);
  cr_assert_eq(o.max_rss_mb, 64);
  cr_assert_eq(o.grace_ms, 700);
  cr_assert_eq(o.share, EDDY_CLUSTER_ROUND_ROBIN);
}

Test(cluster_opts, bad_values_are_refused) {
  const char *bad[][2] = {{"--workers", "0"}, {"--workers", "x"},
                          {"--heartbeat-ms", "0"}, {"--grace-ms", "-5"},
                          {"--share", "random"}, {"--workers", NULL}};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    char *argv[] = {"prog", (char *)bad[i][0], (char *)bad[i][1], NULL};
    int argc = bad[i][1] ? 3 : 2;
    eddy_cluster_opts_t o = {0};
    cr_assert_eq(eddy_cluster_opts_parse(&o, &argc, argv), -EINVAL, "%s %s",
                 bad[i][0], bad[i][1] ? bad[i][1] : "");
    cr_assert_str_eq(argv[1], bad[i][0], "the flag stays for the message");
  }
  char *argv[] = {"prog", "--workers", "auto", NULL};
  int argc = 3;
  eddy_cluster_opts_t o = {.workers = 5};
  cr_assert_eq(eddy_cluster_opts_parse(&o, &argc, argv), 0);
  cr_assert_eq(o.workers, 0, "auto: one per CPU");
  cr_assert(strstr(eddy_cluster_flags_help(), "--stall-timeout-ms"));
}

typedef struct {
  unsigned types[8];
  size_t lens[8];
  int n;
} got_t;

static int collect(void *arg, unsigned type, const uint8_t *p, size_t n) {
  got_t *g = arg;
  g->types[g->n] = type;
  g->lens[g->n++] = n;
  return 0;
}

static size_t frame(uint8_t *out, unsigned type, const void *p, size_t n) {
  eddy__cluster_frame_head(out, type, n);
  memcpy(out + 5, p, n);
  return 5 + n;
}

Test(cluster_frame, frames_split_at_every_byte_decode_the_same) {
  uint8_t buf[256], rep[FRAME_REPORT_SIZE];
  eddy_cluster_report_t r = {.pid = 7, .rss_bytes = 1 << 20,
                             .utilization = 0.25, .requests = 9,
                             .request_p99_ns = 42000000};
  eddy__cluster_report_encode(&r, rep);
  size_t len = frame(buf, FRAME_MESSAGE, "hello", 5);
  len += frame(buf + len, FRAME_HEARTBEAT, rep, sizeof(rep));
  len += frame(buf + len, FRAME_ONLINE, "", 0);
  for (size_t cut = 0; cut <= len; cut++) {
    eddy__frame_decoder_t d;
    got_t g = {0};
    eddy__cluster_frame_decoder_init(&d);
    cr_assert_eq(eddy__cluster_frame_feed(&d, buf, cut, collect, &g), 0);
    cr_assert_eq(eddy__cluster_frame_feed(&d, buf + cut, len - cut, collect,
                                          &g), 0);
    cr_assert_eq(g.n, 3, "cut at %zu", cut);
    cr_assert_eq(g.types[0], FRAME_MESSAGE);
    cr_assert_eq(g.lens[0], 5);
    cr_assert_eq(g.types[1], FRAME_HEARTBEAT);
    cr_assert_eq(g.types[2], FRAME_ONLINE);
    eddy__cluster_frame_decoder_free(&d);
  }
  eddy_cluster_report_t back;
  cr_assert_eq(eddy__cluster_report_decode(rep, sizeof(rep), &back), 0);
  cr_assert_eq(back.pid, 7);
  cr_assert_eq(back.requests, 9);
  cr_assert_eq(back.request_p99_ns, 42000000);
  cr_assert_float_eq(back.utilization, 0.25, 1e-6);
}

Test(cluster_frame, an_oversized_length_fails_before_its_body_arrives) {
  uint8_t head[4] = {0, 1, 0, 2}; /* 65538 > 64 KiB + 1 */
  eddy__frame_decoder_t d;
  got_t g = {0};
  eddy__cluster_frame_decoder_init(&d);
  cr_assert_eq(eddy__cluster_frame_feed(&d, head, 4, collect, &g), -EMSGSIZE);
  eddy__cluster_frame_decoder_free(&d);
  uint8_t zero[4] = {0}, bad_type[5] = {0, 0, 0, 1, 99};
  uint8_t short_beat[5] = {0, 0, 0, 2, FRAME_HEARTBEAT};
  eddy__cluster_frame_decoder_init(&d);
  cr_assert_eq(eddy__cluster_frame_feed(&d, zero, 4, collect, &g), -EPROTO);
  eddy__cluster_frame_decoder_free(&d);
  eddy__cluster_frame_decoder_init(&d);
  cr_assert_eq(eddy__cluster_frame_feed(&d, bad_type, 5, collect, &g),
               -EPROTO);
  eddy__cluster_frame_decoder_free(&d);
  eddy__cluster_frame_decoder_init(&d);
  cr_assert_eq(eddy__cluster_frame_feed(&d, short_beat, 5, collect, &g),
               -EPROTO);
  eddy__cluster_frame_decoder_free(&d);
  cr_assert_eq(g.n, 0);
}

/* The worker's stall detector writes the note while its loop is stuck;
 * each heartbeat the loop acknowledges what was written: a report not yet
 * acknowledged is a stall going on now. */
Test(cluster_note, a_stall_blocks_until_the_loop_acknowledges_it) {
  int fd;
  eddy__stall_note_t *n = eddy__cluster_note_create(&fd);
  cr_assert_not_null(n);
  eddy__stall_note_t *w = eddy__cluster_note_map(fd); /* the worker's map */
  cr_assert_not_null(w);
  char label[FRAME_LABEL_SIZE];
  cr_assert_eq(eddy__cluster_note_blocked(n, label, sizeof(label)), 0);
  cr_assert_str_eq(label, "");
  uint64_t before = eddy_hrtime();
  eddy__cluster_note_write(w, "GET /blocking", 1500000000ull);
  uint64_t since = eddy__cluster_note_blocked(n, label, sizeof(label));
  cr_assert_str_eq(label, "GET /blocking");
  cr_assert(since + 1500000000ull >= before && since <= before,
            "since %llu before %llu", (unsigned long long)since,
            (unsigned long long)before);
  eddy__cluster_note_ack(w);
  cr_assert_eq(eddy__cluster_note_blocked(n, label, sizeof(label)), 0);
  /* The primary's log line still has the last report. */
  cr_assert_eq(eddy__cluster_note_read(n, label, sizeof(label)), 1500);
  cr_assert_str_eq(label, "GET /blocking");
  /* A label longer than the page is cut, still NUL-terminated. */
  char longer[300];
  memset(longer, 'x', sizeof(longer) - 1);
  longer[sizeof(longer) - 1] = '\0';
  eddy__cluster_note_write(w, longer, 2000000000ull);
  cr_assert_neq(eddy__cluster_note_blocked(n, label, sizeof(label)), 0);
  cr_assert_eq(strlen(label), FRAME_LABEL_SIZE - 1);
  eddy__cluster_note_unmap(w);
  eddy__cluster_note_unmap(n);
}

/* Round-robin receipts, without processes: a cluster with no worker to
 * hand a connection on to closes it, so "handed on" shows as closed. */
static int is_open(int fd) { return fcntl(fd, F_GETFD) != -1; }

Test(cluster_receipt, numbers_pop_in_order_and_a_skipped_one_is_handed_on) {
  static struct eddy_cluster_s c; /* opts.workers 0: nobody to hand to */
  worker_t w = {.c = &c};
  int p[2][2], fds[4];
  cr_assert_eq(pipe(p[0]), 0);
  cr_assert_eq(pipe(p[1]), 0);
  memcpy(fds, p, sizeof(fds));
  w.held = calloc(4, sizeof(int));
  w.held_cap = 4;
  for (int i = 0; i < 4; i++) w.held[w.held_n++] = fds[i]; /* numbers 1-4 */
  uint8_t r[9];
  eddy__cluster_put_u64(r, 2); /* 1 skipped (not sent): handed on */
  r[8] = 1;                    /* 2 taken: the primary's copy closed */
  cr_assert_eq(eddy__cluster_rr_receipt(&w, r), 0);
  cr_assert(!is_open(fds[0]) && !is_open(fds[1]));
  cr_assert(is_open(fds[2]) && is_open(fds[3]));
  cr_assert_eq(w.held_n, 2);
  cr_assert_eq(eddy__cluster_rr_receipt(&w, r), -EPROTO, "2 again");
  eddy__cluster_put_u64(r, 5);
  cr_assert_eq(eddy__cluster_rr_receipt(&w, r), -EPROTO, "never sent");
  eddy__cluster_put_u64(r, 3);
  r[8] = 2;
  cr_assert_eq(eddy__cluster_rr_receipt(&w, r), -EPROTO, "bad value");
  r[8] = 0; /* 3 refused: handed on, and no more for this worker */
  cr_assert_eq(eddy__cluster_rr_receipt(&w, r), 0);
  cr_assert(!is_open(fds[2]) && is_open(fds[3]) && w.refuses);
  eddy__cluster_rr_release(&w, 1); /* the channel ended: 4 handed on */
  cr_assert(!is_open(fds[3]));
  cr_assert_null(w.held);
  cr_assert_eq(w.held_n, 0);
}
