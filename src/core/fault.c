/*
 * Fault injection for tests (see fault.h): one armed site at a time is
 * all the tests need, kept under a mutex; the fast path is the flag.
 */
#include <pthread.h>
#include <string.h>

#include "core/fault.h"

_Atomic int eddy__fault_armed;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const char *armed_site;
static int armed_skip, armed_count;

void eddy__fault_arm(const char *site, int skip, int count) {
  pthread_mutex_lock(&lock);
  armed_site = count > 0 ? site : NULL;
  armed_skip = skip > 0 ? skip : 0;
  armed_count = count > 0 ? count : 0;
  atomic_store(&eddy__fault_armed, armed_site != NULL);
  pthread_mutex_unlock(&lock);
}

int eddy__fault_take(const char *site) {
  int hit = 0;
  pthread_mutex_lock(&lock);
  if (armed_site && strcmp(armed_site, site) == 0 && armed_skip > 0) {
    armed_skip--;
  } else if (armed_site && strcmp(armed_site, site) == 0 && armed_count > 0) {
    hit = 1;
    if (--armed_count == 0) {
      armed_site = NULL;
      atomic_store(&eddy__fault_armed, 0);
    }
  }
  pthread_mutex_unlock(&lock);
  return hit;
}
