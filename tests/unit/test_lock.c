/* test_lock.c - one run at a time on a store (lock.c). */
#include "unit.h"

#include <time.h>
#include <unistd.h>

#include "lock.h"
#include "util.h"

static void
test_exclusive(void **state)
{
	char dir[] = "/tmp/test_lockXXXXXX";
	struct lock *a = NULL, *b = NULL;
	char *store, *path;
	time_t t0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	store = xasprintf("%s/b.db", dir);
	path = xasprintf("%s.lock", store);
	assert_int_equal(lock_store(store, 0, &a), 0);
	assert_non_null(a);
	assert_int_equal(access(path, F_OK), 0);
	/* a second holder (another open file, as another process has) is
	 * turned away, after waiting about as long as asked */
	t0 = time(NULL);
	assert_int_equal(lock_store(store, 1, &b), 1);
	assert_null(b);
	assert_true(time(NULL) - t0 >= 1);
	lock_free(&a);
	assert_null(a);
	lock_free(&a);   /* NULL is fine */
	assert_int_equal(lock_store(store, 0, &b), 0);
	lock_free(&b);
	unlink(path);
	rmdir(dir);
	free(path);
	free(store);
}

static void
test_unopenable(void **state)
{
	struct lock *a = NULL;

	(void)state;
	assert_int_equal(lock_store("/nonexistent-dir/x/b.db", 0, &a), -1);
	assert_null(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exclusive),
		cmocka_unit_test(test_unopenable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
