/*
 * Private: an HTTP connection, its read buffer, and the exchange (request +
 * response) objects queued on it in request order.
 */
#ifndef EDDY_HTTP_CONN_H
#define EDDY_HTTP_CONN_H

#include "eddy/http.h"

/* Growable byte buffer (output and header staging). */
typedef struct {
  char *base;
  size_t len, cap;
} hbuf_t;

/* The read buffer; exchanges handed to handlers hold a reference, so it
 * only moves (is compacted) when the connection holds the only one. */
typedef struct rbuf_s {
  size_t refs, cap, len;
  char data[];
} rbuf_t;

typedef struct conn_s conn_t;

/* Exchange flags. */
enum {
  X_HEAD_SENT = 1, /* the response head is serialized */
  X_ENDED = 2,     /* the handler called res_end */
  X_CHUNKED = 4,   /* body framed with chunked encoding */
  X_CLOSE = 8,     /* the connection closes after this response */
  X_HEAD_REQ = 16, /* HEAD: no body bytes */
  X_NO_BODY = 32,  /* 204/304/1xx or HEAD */
  X_USER_CL = 64,  /* the handler set Content-Length */
  X_ABORTED = 128, /* the connection is gone */
  X_DISPATCHED = 256,
  X_USER_DATE = 512,
  X_USER_SERVER = 1024,
  X_DONE = 2048,   /* flushed into the connection; out of the queue */
  X_CONTINUE = 4096, /* 100 Continue already sent */
  X_FILE = 8192,     /* a file segment follows the head (send_file) */
  X_FILE_SENT = 16384,
  X_IN_HOOK = 32768, /* inside the on-head hook */
  X_STREAM = 65536,  /* body streamed to on_data */
};

struct eddy_http_res_s {
  void *data;
  conn_t *conn; /* NULL once the connection is gone */
  eddy_queue_t node;
  unsigned flags;
  int status;
  rbuf_t *rb;         /* referenced while dispatched */
  hbuf_t hdrs;        /* "Name: value\r\n" lines set by the handler */
  hbuf_t pend;        /* output waiting for the exchanges before it */
  eddy_http_res_cb drain, on_close;
  const char *body;
  size_t body_len;
  size_t max_headers;
  int file_fd;        /* send_file: owned, closed on release; else -1 */
  int64_t file_off;
  uint64_t file_len;
  eddy_http_data_cb on_data; /* streamed body (X_STREAM) */
  eddy_http_end_cb on_end;
  uint64_t body_left;       /* streamed Content-Length bytes to come */
  uint64_t max_body;        /* this request's body limit */
  eddy_http_request_t req;
  eddy_http_header_t headers[];
};

/*
 * What a connection needs only while it has work: bytes read but not yet
 * parsed, requests being answered, output being written, a linger. Taken
 * from the server's cache with the first byte read and given back as soon
 * as the connection is idle again, so an idle keep-alive connection costs
 * only its conn_t (C10K: 10,000 idle connections, a few MiB).
 */
typedef struct conn_busy_s {
  eddy_immediate_t flush_imm;
  eddy_write_t wreq;
  eddy_write_t fwreq;      /* the file segment of file_x */
  eddy_shutdown_t sreq;
  eddy_queue_t xq;         /* exchanges not yet flushed, request order */
  unsigned nx;             /* length of xq */
  int file_writing;        /* fwreq is queued */
  eddy_http_res_t *file_x; /* head exchange whose file goes out next */
  rbuf_t *rb;
  size_t rpos;             /* first unparsed byte */
  size_t last_len;         /* for the parser's incremental scan */
  eddy_http_res_t *body_x; /* exchange whose body is being read */
  size_t raw;              /* chunked: next raw byte in rb */
  size_t head_len;         /* head length of body_x */
  eddy_http_chunked_t chunked;
  eddy_http_res_t *spare;  /* next exchange to parse into */
  hbuf_t out, wbuf;        /* being filled / being written */
  unsigned writes_done;    /* writes finished, for the send timeout: */
  unsigned send_writes;    /*   writes_done when its timer was armed */
  size_t send_left;        /*   bytes the client had not acked then */
} conn_busy_t;

/* A connection: what it needs even when idle. `b` is NULL while idle. */
struct conn_s {
  eddy_tcp_t tcp;
  eddy_timer_t timer;
  eddy_http_server_t *server;
  eddy_queue_t node;       /* in server->_conns */
  conn_busy_t *b;
  uint64_t req_start_ms;   /* loop time of the current request's first byte */
  uint8_t writing, in_read, closing, handles, stop_parse, lingering, paused;
  uint8_t want_drain, close_after, tstate;
  uint8_t peer_eof; /* the client half-closed: answer what was read, then close */
  uint8_t body_paused, body_resume; /* streamed body: handler asked */
};

/* Which of the connection's timeouts its one timer runs (timeout.c). */
enum { T_NONE, T_IDLE, T_HEAD, T_BODY, T_SEND, T_LINGER };

/* cache.c: buffers of idle connections, kept by the server (per kind). */
enum {
  EDDY__HTTP_CACHE_RB,
  EDDY__HTTP_CACHE_BUF,
  EDDY__HTTP_CACHE_BUSY,
  EDDY__HTTP_CACHE_KINDS
};
int eddy__http_cache_init(eddy_http_server_t *s);
void eddy__http_cache_free(eddy_http_server_t *s);
void *eddy__http_cache_get(eddy_http_server_t *s, int kind); /* or NULL */
void eddy__http_cache_put(eddy_http_server_t *s, int kind, void *p);

/* conn.c */
void eddy__http_conn_accept(eddy_http_server_t *server);
void eddy__http_conn_close(conn_t *c);
void eddy__http_conn_flush_soon(conn_t *c);
void eddy__http_conn_x_done(conn_t *c);
void eddy__http_conn_idle_close(conn_t *c);
void eddy__http_conn_enqueue(conn_t *c, eddy_http_res_t *x);

/* timeout.c: picks the timeout for the connection's state and runs it. */
void eddy__http_conn_update_timer(conn_t *c);
void eddy__http_conn_timer_accepted(conn_t *c);

/* body.c */
int eddy__http_stream_more(conn_t *c);
void eddy__http_stream_fail(conn_t *c, int status);

/* response.c */
int eddy__http_buf_reserve(hbuf_t *b, size_t more);
int eddy__http_buf_put(hbuf_t *b, const void *p, size_t n);
/* Gives an empty buffer back to the server's cache (or frees it). */
void eddy__http_buf_release(eddy_http_server_t *s, hbuf_t *b);
void eddy__http_x_release(eddy_http_res_t *x);
int eddy__http_x_error(conn_t *c, eddy_http_res_t *x, int status);
void eddy__http_x_promote(conn_t *c);
size_t eddy__http_head(eddy_http_res_t *x, hbuf_t *dst, int64_t cl);
hbuf_t *eddy__http_dest(eddy_http_res_t *x);
int eddy__http_finish(eddy_http_res_t *x);

/* server.c */
eddy_http_res_t *eddy__http_x_get(eddy_http_server_t *s);
void eddy__http_x_put(eddy_http_server_t *s, eddy_http_res_t *x);
void eddy__http_server_conn_gone(eddy_http_server_t *s);

/* date.c */
const char *eddy__http_date_now(eddy_loop_t *loop); /* 29 chars */

#endif
