/*
 * Private to the HTTP client (src/client, all but the resource pool): the agent, its
 * per-origin hosts, connections and requests, and the functions the files
 * share. See include/eddy/client.h for the contract.
 */
#ifndef EDDY_CLIENT_INT_H
#define EDDY_CLIENT_INT_H

#include <netdb.h>
#include <sys/socket.h>

#include "eddy/client.h"
#include "eddy/dns.h"
#include "eddy/net.h"

#define CLIENT_MAX_ADDRS 8
#define CONN_BUF_SIZE (32u * 1024u)
#define CONTINUE_WAIT_MS 1000

typedef struct client_s client_t;
typedef struct host_s host_t;
typedef struct conn_s conn_t;
typedef struct creq_s creq_t;

struct client_s {
  eddy_client_t pub;
  eddy_client_opts_t opts;
  eddy_queue_t hosts;   /* host_t.node */
  eddy_queue_t conns;   /* every conn_t.cnode */
  eddy_queue_t reqs;    /* every live creq_t.node */
  eddy_queue_t stalled; /* conns waiting for room under max_total */
  unsigned nconns;      /* conns that hold a place under max_total */
  unsigned pools_open;
  unsigned dns_in_flight;
  eddy_client_stats_t st;
  int closing;
  eddy_client_close_cb close_cb;
  eddy_immediate_t close_later; /* a close with nothing to wait for */
};

/* One origin (host:port): its pool of connections and its DNS entry. */
struct host_s {
  client_t *client;
  eddy_queue_t node;
  char *name;      /* NUL-terminated host, IPv6 without brackets */
  int port;
  char *authority; /* the Host header value */
  eddy_respool_t pool;
  int numeric;     /* an IP literal: no DNS */
  struct sockaddr_storage addrs[CLIENT_MAX_ADDRS];
  unsigned naddrs;
  uint64_t dns_expiry; /* loop ms */
  int dns_status;      /* of the last resolution */
  int resolving;
  eddy_getaddrinfo_t gai;
  eddy_queue_t dns_waiters; /* conn_t.node */
  int pool_closed;
};

enum conn_state {
  CONN_STALLED = 1, /* waiting under max_total */
  CONN_RESOLVING,
  CONN_CONNECTING,
  CONN_READY,       /* connected: idle in the pool or lent to a request */
  CONN_CLOSING
};

struct conn_s {
  eddy_tcp_t tcp;
  eddy_timer_t timer;
  eddy_connect_t connect_req;
  eddy_respool_res_t link;
  eddy_respool_op_t *op; /* the create, then the destroy, in flight */
  host_t *host;
  eddy_queue_t node;  /* in host dns_waiters or client stalled */
  eddy_queue_t cnode; /* in client conns */
  int state;
  int counted;        /* holds a place under max_total */
  int tcp_open;       /* tcp initialised, not yet closed */
  int closes_left;
  unsigned addr_i;
  int error;          /* why a create failed */
  int dead;           /* the server closed it before it was lent */
  eddy_http_header_t *hdrs; /* the response head's lines (max_headers) */
  char *buf;          /* read buffer: response head, then body pieces */
  size_t len;
  creq_t *req;        /* the exchange running on it, or NULL */
  unsigned exchanges; /* completed on it */
};

enum req_state {
  REQ_QUEUED = 1, /* waiting for a connection */
  REQ_SENDING,    /* head (and body) being written, or waiting 100 */
  REQ_HEAD,       /* waiting for / reading the response head */
  REQ_BODY,
  REQ_DONE        /* ended; error or end delivery pending */
};

/* How a response body ends. */
enum body_mode { BODY_NONE = 0, BODY_LENGTH, BODY_CHUNKED, BODY_CLOSE };

struct creq_s {
  eddy_client_req_t pub;
  client_t *client;
  eddy_queue_t node; /* client reqs */
  eddy_client_req_opts_t o; /* copy; pointers cleared after the call */
  char *url;         /* copy of the URL */
  eddy_client_url_t u;
  host_t *host;
  eddy_http_method_t method;
  int idempotent;
  char *method_name;
  char *extra;       /* header lines after Host, framing, no final CRLF */
  int user_host;     /* the caller sent Host */
  char *head;        /* the request head as sent */
  size_t head_len;
  char *location;    /* redirect target being followed */
  char *body;        /* buffered request body (copy) */
  size_t body_len;
  eddy_respool_acquire_t acq;
  conn_t *conn;
  int state;
  int error;         /* delivered by the immediate */
  eddy_immediate_t later;
  /* response */
  eddy_client_head_t rhead;
  eddy_client_res_t res;
  size_t head_end;   /* response head bytes at conn->buf */
  int mode;
  uint64_t body_left;
  eddy_http_chunked_t chunked;
  char *rbody;
  size_t rbody_len, rbody_cap;
  int got_bytes, keep_alive, paused, retried, aborted, redirecting;
  unsigned redirects;
  /* request body */
  int conn_close;    /* the caller sent Connection: close */
  int wants_continue, body_sent, ready, ended;
  uint64_t sent;
};

/* agent.c */
host_t *eddy__client_host(client_t *c, const eddy_client_url_t *u);
void eddy__client_conn_gone(client_t *c, conn_t *conn);
int eddy__client_take_place(client_t *c, conn_t *conn);

/* agent_close.c: a lookup ended while the agent was closing */
void eddy__client_dns_settled(client_t *c);

/* dns_cache.c */
void eddy__client_resolve(conn_t *conn);

/* connect.c */
void eddy__conn_create(eddy_respool_t *pool, eddy_respool_op_t *op);
void eddy__conn_destroy(eddy_respool_t *pool, eddy_respool_op_t *op);
void eddy__conn_resolved(conn_t *conn, int status);
void eddy__conn_fail_create(conn_t *conn, int status);

/* request.c */
int eddy__req_acquire(creq_t *r);
void eddy__req_fail(creq_t *r, int status);
void eddy__req_finish(creq_t *r);

/* request_head.c */
int eddy__req_prepare_head(creq_t *r, const eddy_client_req_opts_t *o);
int eddy__req_compose_head(creq_t *r);

/* exchange.c */
void eddy__exchange_start(creq_t *r, conn_t *conn);
void eddy__exchange_read_start(conn_t *conn);
void eddy__exchange_arm(creq_t *r);

/* send.c */
int eddy__send(conn_t *conn, creq_t *r, const eddy_buf_t *parts, unsigned n);
void eddy__send_request(creq_t *r);
void eddy__send_body(creq_t *r);

/* response.c's user: exchange_read.c */
void eddy__exchange_feed(conn_t *conn);
void eddy__exchange_eof(conn_t *conn, int status);

/* body.c */
int eddy__body_begin(creq_t *r);
int eddy__body_feed(creq_t *r, char *data, size_t len, size_t *used);

/* redirect.c */
void eddy__redirect_check(creq_t *r);
void eddy__redirect_follow(creq_t *r);

#endif
