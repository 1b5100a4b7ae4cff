/*
 * eddy — intrusive circular doubly-linked list.
 *
 * The node lives inside the element, so pushing and removing never allocate
 * (libuv's queue.h, nginx's ngx_queue_t). A list head is a node linked to
 * itself; recover the element from its node with EDDY_CONTAINER_OF.
 * Not thread-safe: the owner of the list serialises access.
 */
#ifndef EDDY_QUEUE_H
#define EDDY_QUEUE_H

#include <stddef.h>

/* A list head, or the node an element embeds: one node per list the
 * element can be on at the same time. */
typedef struct eddy_queue_s {
  struct eddy_queue_s *next;
  struct eddy_queue_s *prev;
} eddy_queue_t;

/* The struct of type `type` whose member `field` is at `ptr`. */
/* clang-format off */
#define EDDY_CONTAINER_OF(ptr, type, field)                                   \
  ((type *)((char *)(ptr) - offsetof(type, field)))
/* clang-format on */

/*
 * Walks list `head` from head to tail, `q` at each element's node. The body
 * must not remove `q`; to remove while walking, take q->next first.
 */
#define EDDY_QUEUE_FOREACH(q, head) \
  for ((q) = (head)->next; (q) != (head); (q) = (q)->next)

/* Makes `q` an empty list head, or an unlinked node. */
/* Makes `q` an empty list head, or an unlinked node. */
static inline void eddy_queue_init(eddy_queue_t *q) { q->next = q->prev = q; }

/* Non-zero when list `q` holds no element. */
static inline int eddy_queue_empty(const eddy_queue_t *q) {
  return q->next == q;
}

/* The first element's node; `q` itself when the list is empty. */
static inline eddy_queue_t *eddy_queue_head(const eddy_queue_t *q) {
  return q->next;
}

/* Appends `n` at the tail of list `h`. */
static inline void eddy_queue_push(eddy_queue_t *h, eddy_queue_t *n) {
  n->next = h;
  n->prev = h->prev;
  h->prev->next = n;
  h->prev = n;
}

/* Unlinks `n` and leaves it linked to itself, so a second remove is a no-op. */
static inline void eddy_queue_remove(eddy_queue_t *n) {
  n->prev->next = n->next;
  n->next->prev = n->prev;
  n->next = n->prev = n;
}

/* Moves every element of `from` to the (empty) list `to`; `from` ends empty. */
static inline void eddy_queue_move(eddy_queue_t *from, eddy_queue_t *to) {
  if (eddy_queue_empty(from)) {
    eddy_queue_init(to);
    return;
  }
  to->next = from->next;
  to->prev = from->prev;
  to->next->prev = to;
  to->prev->next = to;
  eddy_queue_init(from);
}

/*
 * Checks the links of list `h`: every node's neighbours point back at it.
 * Returns the number of elements, or -1 if the list is corrupt. For tests.
 */
static inline long eddy_queue_validate(const eddy_queue_t *h) {
  long n = 0;
  const eddy_queue_t *q = h;
  do {
    if (q->next->prev != q || q->prev->next != q) return -1;
    q = q->next;
    n++;
  } while (q != h && n < (1L << 40));
  return n - 1;
}

#endif
