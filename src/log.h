/* log.h: where messages go: standard error, and the kernel log when boxnet runs from init. */
#ifndef BOXNET_LOG_H
#define BOXNET_LOG_H

#include <stdio.h>

/* stderr, or, without a controlling terminal (at boot, from init), a stream that copies each
 * line to /dev/kmsg too, prefixed "boxnet:", so that it shows in dmesg and on the console. */
FILE *log_open(void);
void log_close(FILE *f);

#endif
