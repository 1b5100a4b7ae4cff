/*
 * Private to src/http: the connection, its read buffer, and the exchanges
 * (one request and its response, public type eddy_http_res_t) queued on it
 * in request order. Everything here runs on the server's loop thread.
 *
 * Which file owns what:
 *   conn.c        accept, the busy part and its reuse
 *   read_buf.c    the read buffer: growth, moves, release when idle
 *   conn_read.c   reading: alloc/read callbacks, the end of the input
 *   request.c     the parse loop: pipelining, bodies, 100-continue, hook
 *   body.c        streamed request bodies
 *   conn_write.c  one flush per iteration, file segments, drain
 *   conn_close.c  lingering close, abort, idle close
 *   timeout.c     the connection's one timer and its timeouts
 *   exchange.c    exchange objects: free list, queueing, release
 *   response.c    response heads and bodies, request-order output
 *   res_headers.c header fields a handler stages, framing field rules
 *   buf.c         growable byte buffers (output, header staging)
 *   cache.c       buffers idle connections give back to the server
 *   server.c      listener, limits, graceful close
 */
#ifndef EDDY_HTTP_CONN_H
#define EDDY_HTTP_CONN_H

#include "eddy/http.h"

/* A growable byte buffer: output, held output and staged headers. */
typedef struct {
  char *base;
  size_t len, cap;
} eddy__http_buf_t;

/*
 * The read buffer. Dispatched exchanges hold a reference (their request's
 * slices point into it), so it is compacted in place only while the
 * connection holds the only reference; otherwise the live bytes go to a
 * new buffer and the old one lives until its last exchange is released.
 */
typedef struct eddy__http_read_buf_s {
  size_t refs, cap, len;
  char data[];
} eddy__http_read_buf_t;

typedef struct eddy__http_conn_s eddy__http_conn_t;

/* Exchange flags (eddy_http_res_t.flags). */
enum {
  EDDY__RES_HEAD_SENT = 1,       /* the response head is serialized */
  EDDY__RES_ENDED = 2,           /* the handler called res_end */
  EDDY__RES_CHUNKED = 4,         /* body framed with chunked encoding */
  EDDY__RES_CLOSE = 8,           /* the connection closes after this one */
  EDDY__RES_HEAD_REQ = 16,       /* a HEAD request: no body bytes */
  EDDY__RES_NO_BODY = 32,        /* 1xx/204/304 or HEAD: no body bytes */
  EDDY__RES_USER_CL = 64,        /* the handler set Content-Length */
  EDDY__RES_ABORTED = 128,       /* the connection is gone */
  EDDY__RES_DISPATCHED = 256,    /* a handler or hook owns it */
  EDDY__RES_USER_DATE = 512,     /* the handler set Date */
  EDDY__RES_USER_SERVER = 1024,  /* the handler set Server */
  EDDY__RES_DONE = 2048,         /* flushed; out of the queue */
  EDDY__RES_CONTINUE = 4096,     /* 100 Continue already sent */
  EDDY__RES_FILE = 8192,         /* a file segment follows the head */
  EDDY__RES_FILE_SENT = 16384,   /* that file segment is written */
  EDDY__RES_IN_HOOK = 32768,     /* inside the on-head hook */
  EDDY__RES_STREAM = 65536,      /* the body is streamed to on_data */
  EDDY__RES_WANT_DRAIN = 131072, /* its write returned 1: drain owed */
};

/* An exchange: a request and its response (see exchange.c). */
struct eddy_http_res_s {
  void *data;              /* the handler's; the free-list link when free */
  eddy__http_conn_t *conn; /* NULL once the connection is gone */
  eddy_queue_t node;       /* in conn->busy->res_queue */
  unsigned flags;          /* EDDY__RES_* */
  int status;              /* 200 unless the handler says otherwise */
  eddy__http_read_buf_t *read_buf; /* referenced while dispatched */
  eddy__http_buf_t staged_headers; /* "Name: value\r\n" set by the handler */
  eddy__http_buf_t held;           /* output waiting for the exchanges before */
  eddy_http_res_cb drain, on_close;
  const char *body; /* the buffered request body ("" if none) */
  size_t body_len;
  size_t max_headers; /* entries in headers[] */
  int file_fd;        /* send_file: owned, closed on release; or -1 */
  int64_t file_off;
  uint64_t file_len;
  eddy_http_data_cb on_data; /* streamed body (EDDY__RES_STREAM) */
  eddy_http_end_cb on_end;
  uint64_t body_left; /* streamed Content-Length bytes to come */
  uint64_t max_body;  /* this request's body limit */
  size_t req_bytes;   /* head and body bytes it pins (dispatched) */
  uint64_t user_cl;   /* the handler's Content-Length (EDDY__RES_USER_CL) */
  uint64_t body_sent; /* body bytes write/end took, counted against it */
  eddy_http_request_t req;
  eddy_http_header_t headers[];
};

/*
 * What a connection needs only while it has work: bytes read but not yet
 * parsed, requests being answered, output being written, a linger. Taken
 * from the server's cache with the first byte read and given back as soon
 * as the connection is idle again, so an idle keep-alive connection costs
 * only its eddy__http_conn_t (C10K: 10,000 idle connections, a few MiB).
 */
typedef struct eddy__http_busy_s {
  eddy_immediate_t flush_imm;   /* the once-per-iteration flush */
  eddy_write_t write_req;       /* writing_buf on the stream */
  eddy_write_t file_write_req;  /* the file segment of file_res */
  eddy_shutdown_t shutdown_req; /* the FIN of a lingering close */
  eddy_queue_t res_queue;       /* exchanges not yet flushed, request order */
  unsigned res_count;           /* length of res_queue */
  size_t request_bytes;         /* req_bytes of the exchanges queued */
  int file_writing;             /* file_write_req is queued */
  eddy_http_res_t *file_res;    /* first exchange, its file goes next */
  eddy__http_read_buf_t *read_buf; /* NULL while nothing is buffered */
  size_t parse_pos;                /* first byte not yet parsed */
  size_t parse_scanned;            /* bytes the parser already checked */
  eddy_http_res_t *body_res;       /* exchange whose body is being read */
  size_t chunk_pos;                /* chunked: next undecoded byte */
  size_t head_len;                 /* head length of body_res */
  eddy_http_chunked_t chunked;     /* decoder of body_res's chunked body */
  eddy_http_res_t *spare;          /* next exchange to parse into */
  eddy__http_buf_t out;            /* output being gathered */
  eddy__http_buf_t writing_buf;    /* output being written */
  unsigned writes_done;            /* writes finished, for the send timeout: */
  unsigned send_writes;            /*   writes_done when its timer was armed */
  size_t send_left;                /*   bytes the client had not acked then */
  eddy_http_res_t *timed_res;      /* the exchange the response timeout is
                                      for (compared, never dereferenced) */
} eddy__http_busy_t;

/* Which of the connection's timeouts its one timer runs (timeout.c). */
enum {
  EDDY__TIMEOUT_NONE,
  EDDY__TIMEOUT_IDLE,     /* keep-alive: no request under way */
  EDDY__TIMEOUT_HEAD,     /* a head has begun and must complete */
  EDDY__TIMEOUT_BODY,     /* a body is being read */
  EDDY__TIMEOUT_SEND,     /* output waits for the client to read */
  EDDY__TIMEOUT_LINGER,   /* closing: draining what the client still sends */
  EDDY__TIMEOUT_RESPONSE, /* a handler has not begun its answer */
};

/* A connection: what it needs even when idle. */
struct eddy__http_conn_s {
  eddy_tcp_t tcp;
  eddy_timer_t timer; /* runs `timeout` (timeout.c) */
  eddy_http_server_t *server;
  eddy_queue_t node;       /* in server->_conns */
  eddy__http_busy_t *busy; /* NULL while idle */
  uint64_t req_start_ms;   /* loop time of the request's first byte */
  uint64_t last_read_ms;   /* loop time of the last bytes read */
  uint64_t idle_due_ms;    /* IDLE: when it is due; the timer may be set a
                              little earlier (timeout.c, lazy_idle) */
  uint8_t handles_open;    /* tcp and timer not yet closed: freed at 0 */
  uint8_t timeout;         /* EDDY__TIMEOUT_* the timer runs */
  uint8_t writing;         /* busy->write_req is queued */
  uint8_t in_read;         /* inside the read callback: no flush yet */
  uint8_t closing;         /* eddy__http_conn_close ran */
  uint8_t stop_parse;      /* no further request is read */
  uint8_t lingering;       /* FIN sent, draining the client */
  uint8_t paused;          /* reading paused: too much output waits */
  uint8_t want_drain;      /* some exchange has RES_WANT_DRAIN */
  uint8_t close_after;     /* a closing response went out: linger */
  uint8_t peer_eof;        /* the client half-closed: answer, close */
  uint8_t had_request;     /* a request head was parsed on it */
  uint8_t body_paused;     /* streamed body: the handler paused */
  uint8_t body_resume;     /* streamed body: resume on next flush */
  uint8_t input_dropped;   /* bytes after stop_parse were discarded */
};

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
/* The busy part of `c`, taken if it has none; NULL when memory is short. */
eddy__http_busy_t *eddy__http_conn_busy(eddy__http_conn_t *c);
/* Gives the busy part back if nothing is left in it. */
void eddy__http_conn_busy_release_idle(eddy__http_conn_t *c);
/* On close: frees the busy part and what it holds. */
void eddy__http_conn_busy_free(eddy__http_conn_t *c);
const eddy_http_limits_t *eddy__http_conn_limits(eddy__http_conn_t *c);

/* read_buf.c */
/* A buffer for `c` to read into (from the cache or new); NULL on ENOMEM. */
eddy__http_read_buf_t *eddy__http_read_buf_get(eddy__http_conn_t *c);
void eddy__http_read_buf_unref(eddy__http_read_buf_t *r);
/* Makes room for a read: compacts or moves the unparsed bytes. -1 if the
 * buffer may not grow (its limit is reached) or memory is short. */
int eddy__http_read_buf_make_room(eddy__http_conn_t *c);
/* Gives the buffer back when everything in it is parsed and unreferenced. */
void eddy__http_read_buf_release_idle(eddy__http_conn_t *c);

/* conn_read.c */
/* Starts (or restarts) reading the connection's socket. */
int eddy__http_conn_read_start(eddy__http_conn_t *c);

/* request.c */
/* Parses and dispatches what the read buffer holds, as far as it can. */
void eddy__http_conn_parse(eddy__http_conn_t *c);
/* Reading may resume: the client took enough of the pending output. */
int eddy__http_conn_may_resume(eddy__http_conn_t *c);

/* conn_write.c */
/* Flushes in the check phase of this iteration (once, whatever asks). */
void eddy__http_conn_flush_soon(eddy__http_conn_t *c);
/* Writes the gathered output and a file segment that is due. */
void eddy__http_conn_flush(eddy__http_conn_t *c);
/* Output waiting for the client that counts against res's high-water
 * mark: the connection's and its own held output. */
size_t eddy__http_res_backlog(eddy_http_res_t *res);
/* An exchange left the queue: reading may resume. */
void eddy__http_conn_res_done(eddy__http_conn_t *c);

/* conn_close.c */
void eddy__http_conn_close(eddy__http_conn_t *c);
/* All output written: closes or lingers if a response or the client said
 * so, or the server is closing. */
void eddy__http_conn_after_flush(eddy__http_conn_t *c);
/* Server closing: closes `c` now if it is idle, else after its answers. */
void eddy__http_conn_idle_close(eddy__http_conn_t *c);

/* timeout.c: picks the timeout for the connection's state and runs it. */
void eddy__http_conn_update_timer(eddy__http_conn_t *c);
void eddy__http_conn_timer_accepted(eddy__http_conn_t *c);

/* body.c */
int eddy__http_stream_more(eddy__http_conn_t *c);
void eddy__http_stream_fail(eddy__http_conn_t *c, int status);

/* buf.c */
int eddy__http_buf_reserve(eddy__http_buf_t *b, size_t more);
int eddy__http_buf_put(eddy__http_buf_t *b, const void *p, size_t n);
int eddy__http_buf_put_str(eddy__http_buf_t *b, const char *s);
/* Decimal (base 10) or hex (16) digits of v. */
int eddy__http_buf_put_num(eddy__http_buf_t *b, uint64_t v, unsigned base);
/* Gives an empty buffer back to the server's cache (or frees it). */
void eddy__http_buf_release(eddy_http_server_t *s, eddy__http_buf_t *b);
/* A buffer of the cache's size for `b` if it has none (else unchanged). */
void eddy__http_buf_from_cache(eddy_http_server_t *s, eddy__http_buf_t *b);

/* exchange.c */
/* An exchange from the server's free list or new; NULL on ENOMEM. */
eddy_http_res_t *eddy__http_res_get(eddy_http_server_t *s);
/* Back to the free list (trimmed) or freed; `s` may be NULL. */
void eddy__http_res_put(eddy_http_server_t *s, eddy_http_res_t *res);
/* Frees the server's free list (server close). */
void eddy__http_res_free_all(eddy_http_server_t *s);
/* Appends `res` to the connection's queue (request order). */
void eddy__http_conn_enqueue(eddy__http_conn_t *c, eddy_http_res_t *res);
/* A handler or hook takes `res`: its slices pin the read buffer. */
void eddy__http_res_hold(eddy__http_conn_t *c, eddy_http_res_t *res);
/* The connection stops counting the request bytes `res` pins (before it
 * is detached; release does it too). */
void eddy__http_res_unpin(eddy_http_res_t *res);
/* Releases what `res` holds (file, read buffer) and puts it back. */
void eddy__http_res_release(eddy_http_res_t *res);

/* response.c */
int eddy__http_res_error(eddy__http_conn_t *c, eddy_http_res_t *res,
                         int status);
void eddy__http_res_promote(eddy__http_conn_t *c);
int eddy__http_head(eddy_http_res_t *res, eddy__http_buf_t *dst, int64_t cl);
eddy__http_buf_t *eddy__http_dest(eddy_http_res_t *res);
int eddy__http_finish(eddy_http_res_t *res);

/* res_headers.c: drops the handler's Content-Length (a 204's head). */
void eddy__http_res_drop_length(eddy_http_res_t *res);

/* server.c */
void eddy__http_server_conn_gone(eddy_http_server_t *s);
/* A send_path job of `s` ended: a closing server may finish now. */
void eddy__http_server_job_done(eddy_http_server_t *s);

/* date.c */
const char *eddy__http_date_now(eddy_loop_t *loop); /* 29 chars */

#endif
