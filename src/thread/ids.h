/* Thread ids, private: handed out by the parent, adopted by the worker. */
#ifndef EDDY_THREAD_IDS_H
#define EDDY_THREAD_IDS_H

#include <stdint.h>

uint64_t eddy__thread_id_next(void);
void eddy__thread_id_set(uint64_t id);

#endif
