/* log.c: copy boxnet's messages to the kernel log, one record a line, when run from init. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { LINE_MAX_KMSG = 960 };	/* the kernel keeps about 1 KiB of a record */

struct tee {
	int kmsg;
	size_t len;
	char line[LINE_MAX_KMSG];
};

/* Errors at level 3; notes and warnings are warnings (4); the -v summary is information (6). */
static void emit(struct tee *t)
{
	char rec[LINE_MAX_KMSG + 16];
	const char *text = t->line;
	int level = 3;
	if (!strncmp(text, "boxnet: ", 8))
		text += 8;
	if (!strncmp(text, "note: ", 6) || !strncmp(text, "warning: ", 9))
		level = 4;
	else if (!strncmp(text, "up: ", 4) || !strncmp(text, "down: ", 6))
		level = 6;
	/* The newline ends the record; without it the kernel holds it open for continuation. */
	int n = snprintf(rec, sizeof(rec), "<%d>boxnet: %.*s\n", level,
			 (int)(t->len - (size_t)(text - t->line)), text);
	if (n > 0 && write(t->kmsg, rec, (size_t)n < sizeof(rec) ? (size_t)n : sizeof(rec) - 1) < 0) {
		/* The kernel log is a copy: losing it must not lose the message on stderr. */
	}
	t->len = 0;
}

static ssize_t tee_write(void *cookie, const char *buf, size_t size)
{
	struct tee *t = cookie;
	/* Each copy is best effort, and neither decides anything: the kernel log gets its
	 * copy whatever became of stderr (a closed pipe at boot), and the other way round. */
	fwrite(buf, 1, size, stderr);
	for (size_t i = 0; i < size; i++) {
		if (buf[i] == '\n')
			emit(t);
		else if (t->len < sizeof(t->line))
			t->line[t->len++] = buf[i];
	}
	return (ssize_t)size;
}

static int tee_close(void *cookie)
{
	struct tee *t = cookie;
	if (t->len)
		emit(t);
	close(t->kmsg);
	free(t);
	return 0;
}

FILE *log_open(void)
{
	/* Under systemd stderr is the journal already: a kernel-log copy would say it twice. */
	if (getenv("JOURNAL_STREAM"))
		return stderr;
	int tty = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (tty >= 0) {
		close(tty);
		return stderr;
	}
	struct tee *t = calloc(1, sizeof(*t));
	if (!t)
		return stderr;
	t->kmsg = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (t->kmsg < 0) {
		free(t);
		return stderr;
	}
	static const cookie_io_functions_t io = {.write = tee_write, .close = tee_close};
	FILE *f = fopencookie(t, "w", io);
	if (!f) {
		close(t->kmsg);
		free(t);
		return stderr;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

void log_close(FILE *f)
{
	if (f != stderr)
		fclose(f);
}
