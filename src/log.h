/* log.h: where messages go: standard error, and the kernel log when boxnet runs from init. */
#ifndef BOXNET_LOG_H
#define BOXNET_LOG_H

#include <stdbool.h>
#include <stdio.h>

enum { LOG_LINE_MAX = 960 };	/* the kernel keeps about 1 KiB of a record */

/* Messages written to out, and, when kmsg is open, each line copied to the kernel log too,
 * prefixed "boxnet:", so that it shows in dmesg and on the console. The caller owns it:
 * {.out = stderr, .kmsg = -1} writes to stderr alone. */
struct log {
	FILE *out;
	int kmsg;			/* /dev/kmsg, or -1 */
	size_t len;			/* of the line being copied */
	char line[LOG_LINE_MAX + 1];	/* and its newline */
};

/* Writes to stderr, with the kernel-log copy when copy is set and boxnet has no controlling
 * terminal (at boot, from init) and is not under systemd. */
void log_open(struct log *l, bool copy);
void log_say(struct log *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_close(struct log *l);

#endif
