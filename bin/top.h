/* `eddy top URL`: the terminal view of a server's /metrics (bin/top.c). */
#ifndef EDDY_BIN_TOP_H
#define EDDY_BIN_TOP_H

/* argv[0] is "top"; returns the process's exit status. */
int eddy_top_main(int argc, char **argv);

#endif
