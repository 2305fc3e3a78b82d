/* replay.c: run a fuzz harness once over each file named on the command line, without
 * libFuzzer: how make check replays the seeds and every crash the fuzzers ever found. */
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int main(int argc, char **argv)
{
	int failed = 0;
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			printf("not ok - replay %s: cannot open\n", argv[i]);
			failed = 1;
			continue;
		}
		static unsigned char buf[2 * 1024 * 1024];
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
	}
	printf("ok - replayed %d inputs without a crash\n", argc - 1);
	return failed;
}
