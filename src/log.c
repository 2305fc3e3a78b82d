/* log.c: copy boxnet's messages to the kernel log, one record a line, when run from init. */
#include "log.h"
#include "util.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/* Errors at level 3; notes and warnings are warnings (4); the -v summary is information (6).
 * One writev, one record: the kernel takes a write's pieces whole. */
static void emit(struct log *l)
{
	char *text = l->line, prefix[] = "<3>boxnet: ";
	if (!strncmp(text, "boxnet: ", 8))
		text += 8;
	if (!strncmp(text, "note: ", 6) || !strncmp(text, "warning: ", 9))
		prefix[1] = '4';
	else if (!strncmp(text, "up: ", 4) || !strncmp(text, "down: ", 6))
		prefix[1] = '6';
	/* The newline ends the record; without it the kernel holds it open for continuation. */
	l->line[l->len] = '\n';
	struct iovec iov[2] = {{prefix, sizeof(prefix) - 1}, {text, l->len + 1 - (size_t)(text - l->line)}};
	if (writev(l->kmsg, iov, 2) < 0) {
		/* The kernel log is a copy: losing it must not lose the message on stderr. */
	}
	l->len = 0;
}

void log_open(struct log *l, bool copy)
{
	*l = (struct log){.out = stderr, .kmsg = -1};
	/* Under systemd stderr is the journal already: a kernel-log copy would say it twice. */
	if (!copy || getenv("JOURNAL_STREAM"))
		return;
	int tty = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (tty >= 0) {
		close(tty);
		return;
	}
	l->kmsg = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
}

void log_say(struct log *l, const char *fmt, ...)
{
	struct sbuf s = {0};
	va_list ap, again;
	va_start(ap, fmt);
	va_copy(again, ap);
	if (l->kmsg >= 0)
		sbuf_vaddf(&s, fmt, ap);
	/* Each copy is best effort, and neither decides anything: the kernel log gets its copy
	 * whatever became of stderr (a closed pipe at boot), and the other way round. Out of
	 * memory for the copy, the message still goes to out. */
	if (s.buf)
		fwrite(s.buf, 1, s.len, l->out);
	else
		vfprintf(l->out, fmt, again);
	va_end(again);
	va_end(ap);
	for (size_t i = 0; i < s.len; i++) {
		if (s.buf[i] == '\n')
			emit(l);
		else if (l->len < LOG_LINE_MAX)
			l->line[l->len++] = s.buf[i];
	}
	sbuf_free(&s);
}

void log_close(struct log *l)
{
	if (l->kmsg < 0)
		return;
	if (l->len)
		emit(l);
	close(l->kmsg);
	l->kmsg = -1;
}
