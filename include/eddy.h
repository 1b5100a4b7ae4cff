/*
 * eddy — a C runtime for event-driven network servers.
 * The umbrella header: includes every public module header.
 */
#ifndef EDDY_H
#define EDDY_H

#include "eddy/error.h"
#include "eddy/version.h"
#include "eddy/queue.h"
#include "eddy/metrics.h"
#include "eddy/log.h"
#include "eddy/loop.h"
#include "eddy/threadpool.h"
#include "eddy/net.h"
#include "eddy/dns.h"
#include "eddy/fs.h"
#include "eddy/thread.h"
#include "eddy/pool.h"
#include "eddy/http_parser.h"
#include "eddy/http.h"
#include "eddy/respool.h"
#include "eddy/client.h"
#include "eddy/app.h"
#include "eddy/static.h"
#include "eddy/observe.h"
#include "eddy/cluster.h"
#include "eddy/db.h"
#include "eddy/memcache.h"

#endif
