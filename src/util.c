/* util.c: arena allocator, string buffer and array growth. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	_Alignas(max_align_t) unsigned char data[];
};

enum { ARENA_CHUNK = 64 * 1024 };

void *arena_alloc(struct arena *a, size_t size)
{
	size = (size + _Alignof(max_align_t) - 1) & ~(size_t)(_Alignof(max_align_t) - 1);
	struct arena_chunk *c = a->head;
	if (!c || c->size - c->used < size) {
		size_t want = size > ARENA_CHUNK ? size : ARENA_CHUNK;
		c = malloc(sizeof(*c) + want);
		if (!c)
			return NULL;
		c->size = want;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = c->data + c->used;
	c->used += size;
	memset(p, 0, size);
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = arena_alloc(a, n);
	if (p)
		memcpy(p, s, n);
	return p;
}

void arena_free(struct arena *a)
{
	while (a->head) {
		struct arena_chunk *next = a->head->next;
		free(a->head);
		a->head = next;
	}
}

void sbuf_add(struct sbuf *s, const char *text, size_t len)
{
	if (s->oom)
		return;
	if (s->len + len + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 256;
		while (cap < s->len + len + 1)
			cap *= 2;
		char *p = realloc(s->buf, cap);
		if (!p) {
			s->oom = true;
			return;
		}
		s->buf = p;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, text, len);
	s->len += len;
	s->buf[s->len] = '\0';
}

void sbuf_vaddf(struct sbuf *s, const char *fmt, va_list ap)
{
	char small[256];
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n < 0) {
		s->oom = true;
	} else if ((size_t)n < sizeof(small)) {
		sbuf_add(s, small, (size_t)n);
	} else {
		char *big = malloc((size_t)n + 1);
		if (big) {
			vsnprintf(big, (size_t)n + 1, fmt, ap2);
			sbuf_add(s, big, (size_t)n);
			free(big);
		} else {
			s->oom = true;
		}
	}
	va_end(ap2);
}

void sbuf_addf(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sbuf_vaddf(s, fmt, ap);
	va_end(ap);
}

const char *sbuf_str(const struct sbuf *s)
{
	return s->buf ? s->buf : "";
}

void sbuf_free(struct sbuf *s)
{
	free(s->buf);
	*s = (struct sbuf){0};
}

int grow(void *arr, size_t *cap, size_t n, size_t elem)
{
	void **p = arr;
	if (n <= *cap)
		return 0;
	size_t c = *cap ? *cap : 8;
	while (c < n)
		c *= 2;
	if (c > SIZE_MAX / elem)
		return -1;
	void *np = realloc(*p, c * elem);
	if (!np)
		return -1;
	*p = np;
	*cap = c;
	return 0;
}

bool parse_num(const char *s, unsigned max, unsigned *out)
{
	if (s[0] < '0' || s[0] > '9' || strspn(s, "0123456789") != strlen(s))
		return false;
	errno = 0;
	unsigned long n = strtoul(s, NULL, 10);
	if (errno || n > max)
		return false;
	*out = (unsigned)n;
	return true;
}

/* The sysctls, boxnet's notes and /proc/self/status: their open, read or write and close
 * once, not at each. */
int file_io(const char *path, int flags, char *buf, size_t len)
{
	bool reading = (flags & O_ACCMODE) == O_RDONLY;
	if (reading)
		buf[0] = '\0';
	int fd = open(path, flags, 0600);
	if (fd < 0)
		return -errno;
	ssize_t n = reading ? read(fd, buf, len - 1) : write(fd, buf, len);
	int ret = n < 0 ? -errno : (int)n;
	close(fd);
	if (reading && n > 0)
		buf[n] = '\0';
	return ret;
}

void copy_name(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

uint32_t fnv1a(const void *data, size_t len)
{
	const unsigned char *b = data;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}
