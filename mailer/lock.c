/* lock.c - see lock.h */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"
#include "log.h"
#include "util.h"

struct lock {
	int fd;
};

/* How often a waiting run tries again. */
#define LOCK_POLL_MS 100

int
lock_store(const char *store_path, unsigned wait_s, struct lock **lk_r)
{
	char *path = xasprintf("%s.lock", store_path);
	struct timespec nap = { 0, LOCK_POLL_MS * 1000000L };
	unsigned long tries = (unsigned long)wait_s * (1000 / LOCK_POLL_MS);
	int fd, ret = -1;

	*lk_r = NULL;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		log_errno(LOG_ERR, "cannot open lock file '%s'", path);
		goto out;
	}
	/* polled rather than a blocking flock() under alarm(): no signal
	 * handler to interfere with libcurl or libetpan later */
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			log_errno(LOG_ERR, "cannot lock '%s'", path);
			goto out;
		}
		if (tries-- == 0) {
			ret = 1;
			goto out;
		}
		if (tries + 1 == (unsigned long)wait_s * (1000 / LOCK_POLL_MS))
			log_info("another run holds '%s'; waiting up to %u s",
			    path, wait_s);
		nanosleep(&nap, NULL);
	}
	*lk_r = xmalloc(sizeof(**lk_r));
	(*lk_r)->fd = fd;
	fd = -1;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return ret;
}

void
lock_free(struct lock **lkp)
{
	struct lock *lk = lkp ? *lkp : NULL;

	if (!lk)
		return;
	close(lk->fd);   /* drops the flock */
	free(lk);
	*lkp = NULL;
}

int
lock_fd(const struct lock *lk)
{
	return lk ? lk->fd : -1;
}
