/* Unit tests for htpasswd loading and verification, with vectors produced by
 * Apache's htpasswd (apache2-utils) and `openssl passwd`. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "authn/htpasswd.h"
#include "authn/htpasswd_write.h"

/* user, hash (as the tool wrote it), right password */
static const char *const vectors[][3] = {
	/* htpasswd -nbm */
	{ "u1", "$apr1$qiRBBHdg$E6YIcEW6G19kZ6ZVJ7W5K/", "p\xc3\xa4ssword1" },
	/* htpasswd -nbB -C 5 */
	{ "u2", "$2y$05$Rrx3e0rbA03wxsrf40mlOuCDcoUh4VT/s6j8JFu0bOeN4FGXGzMuu", "secret two" },
	/* htpasswd -nbs */
	{ "u3", "{SHA}QY7lFvHLCVxQ/y8Qp2GSiJwoHzo=", "secret3" },
	/* openssl passwd -5 -salt abcdefgh */
	{ "u4", "$5$abcdefgh$icEo2h6Vqz8992N3eQgdk.ujKQ0MO54BlRluba6vqY3", "secret4" },
	/* openssl passwd -6 -salt abcdefgh */
	{ "u5", "$6$abcdefgh$z7MED4Ol0j4xVtKsXwOPrLh45egofc/E2yjSn7Gur02okXXaclMNsmc1pePAU/gxeCuHnwdBu52Si9qFtJWk/1", "secret5" },
	/* openssl passwd -apr1 -salt abcdefgh */
	{ "u6", "$apr1$abcdefgh$vueBkwZ28yy.LPNpmGYS6/", "secret6" },
	/* libxcrypt yescrypt */
	{ "u9", "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$viA1zGzhVh18V34CCmQPocRAj9Fw7EN4cR3F4ocAlMC", "secret9" },
	/* bcrypt $2b$ */
	{ "u10", "$2b$04$abcdefghijklmnopqrstuuHuvhx4DTuVDHoEV/yVLLA2LIqi5r0KG", "secret10" },
	/* Werkzeug generate_password_hash (MLflow's auth database), pbkdf2 */
	{ "w1", "pbkdf2:sha256:600000$efKyNqIx3GTUvmXI$3f11cec8a4ac610d49aa9688e6a1ac385e9a72208a13e99828be885ed0ce765f", "pw1" },
	{ "w2", "pbkdf2:sha256:260000$Lt1rW0otfnOwk1SP$8d2d17ff8340a995837547662d7e662adf7fdad2037d5ae36c80a1a6694f6712", "pw3" },
	/* Werkzeug 3 scrypt format (hashlib.scrypt, 64-byte key) */
	{ "w3", "scrypt:16384:8:1$saltsaltsalt$18dbac8a07138ed5ff35675aff551b49519cec10baae45e51874792975bb00708e702dd1639019e1704a2a5db0b665435ceed89e499ad20ee2f14e757c4bd863", "pw-s" },
	/* {SSHA}, salted SHA-1 as nginx reads it */
	{ "u12", "{SSHA}PRubaJAsCMxRd91IGel0odjS+g5zYWx0c2FsdA==", "secret12" },
};

static void test_vectors(void **state)
{
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		enum htpasswd_scheme s;
		assert_int_equal(htpasswd_classify(vectors[i][1], &s), 0);
		if (htpasswd_verify(vectors[i][1], s, vectors[i][2]) != 0)
			fail_msg("%s: right password refused", vectors[i][0]);
		if (htpasswd_verify(vectors[i][1], s, "wrong") != -EACCES)
			fail_msg("%s: wrong password accepted", vectors[i][0]);
		char almost[128];
		snprintf(almost, sizeof almost, "%sx", vectors[i][2]);
		if (htpasswd_verify(vectors[i][1], s, almost) == 0)
			fail_msg("%s: longer password accepted", vectors[i][0]);
	}
}

static void test_refused_formats(void **state)
{
	enum htpasswd_scheme s;
	assert_int_equal(htpasswd_classify("DPwJjZ259Smtc", &s), -EINVAL);	/* DES (htpasswd -d) */
	assert_int_equal(htpasswd_classify("secret8", &s), -EINVAL);		/* plain (htpasswd -p) */
	assert_int_equal(htpasswd_classify("{PLAIN}secret", &s), -EINVAL);
	assert_int_equal(htpasswd_classify("", &s), -EINVAL);
	assert_int_equal(htpasswd_classify("{SHA}short", &s), -EINVAL);
	assert_int_equal(htpasswd_classify("pbkdf2:sha256:1000", &s), -EINVAL);
	assert_int_equal(htpasswd_verify("pbkdf2:md5:1000$s$00", HTP_WERKZEUG, "x"), -EINVAL);
	assert_int_equal(htpasswd_verify("scrypt:3:8:1$s$0011", HTP_WERKZEUG, "x"), -EINVAL);	/* N not a power of 2 */
	assert_int_equal(htpasswd_verify("pbkdf2:sha256:1000$s$zz", HTP_WERKZEUG, "x"), -EINVAL);
}

static char *write_tmp(const char *content)
{
	static char path[64];
	snprintf(path, sizeof path, "/tmp/mlgate-htp-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	return path;
}

static void test_load(void **state)
{
	char *path = write_tmp("# comment\n"
			       "alice:$apr1$qiRBBHdg$E6YIcEW6G19kZ6ZVJ7W5K/\n"
			       "\n"
			       "dave:DPwJjZ259Smtc\n"
			       "plain:secret8\n"
			       "bob:{SHA}QY7lFvHLCVxQ/y8Qp2GSiJwoHzo=:a comment\r\n"
			       "alice:{SHA}QY7lFvHLCVxQ/y8Qp2GSiJwoHzo=\n"
			       "garbage line\n");
	struct htpasswd *h = NULL;
	struct buf warn;
	buf_init(&warn, 1 << 16);
	assert_int_equal(htpasswd_load(path, &h, &warn), 0);
	assert_int_equal(h->n, 2);
	assert_non_null(strstr(warn.data, "user \"dave\" refused"));
	assert_non_null(strstr(warn.data, "user \"plain\" refused"));
	assert_non_null(strstr(warn.data, "\"alice\" appears more than once"));
	const struct htpasswd_entry *a = htpasswd_find(h, "alice", 5);
	assert_non_null(a);
	assert_int_equal(a->scheme, HTP_APR1);	/* the first line wins */
	assert_null(htpasswd_find(h, "alic", 4));
	assert_null(htpasswd_find(h, "dave", 4));
	const struct htpasswd_entry *b = htpasswd_find(h, "bob", 3);
	assert_non_null(b);
	assert_int_equal(htpasswd_verify(b->hash, b->scheme, "secret3"), 0);
	assert_false(htpasswd_changed(h, path));
	uint64_t gen = h->generation;
	sleep(0);
	FILE *f = fopen(path, "a");
	fputs("carol:{SHA}QY7lFvHLCVxQ/y8Qp2GSiJwoHzo=\n", f);
	fclose(f);
	assert_true(htpasswd_changed(h, path));
	struct htpasswd *h2 = NULL;
	buf_reset(&warn);
	assert_int_equal(htpasswd_load(path, &h2, &warn), 0);
	assert_true(h2->generation != gen);
	assert_non_null(htpasswd_find(h2, "carol", 5));
	htpasswd_free(h);
	htpasswd_free(h2);
	buf_free(&warn);
	unlink(path);
	assert_int_equal(htpasswd_load("/nonexistent/x", &h, &warn), -ENOENT);
}

static void test_write_and_bcrypt(void **state)
{
	char path[] = "/tmp/mlgate-htw-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	char hash[128];
	assert_int_equal(htpasswd_hash_bcrypt("pw one", 4, hash, sizeof hash), 0);
	assert_memory_equal(hash, "$2y$04$", 7);
	const char *err;
	assert_int_equal(htpasswd_write_user(path, "u", hash, true, &err), 0);
	assert_int_equal(htpasswd_hash_bcrypt("pw two", 4, hash, sizeof hash), 0);
	assert_int_equal(htpasswd_write_user(path, "v", hash, false, &err), 0);
	assert_int_equal(htpasswd_write_user(path, "u", hash, false, &err), 0);	/* replace */
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	struct htpasswd *h;
	struct buf warn;
	buf_init(&warn, 4096);
	assert_int_equal(htpasswd_load(path, &h, &warn), 0);
	assert_int_equal(h->n, 2);
	const struct htpasswd_entry *e = htpasswd_find(h, "u", 1);
	assert_int_equal(htpasswd_verify(e->hash, e->scheme, "pw two"), 0);
	assert_int_equal(htpasswd_verify(e->hash, e->scheme, "pw one"), -EACCES);
	htpasswd_free(h);
	buf_free(&warn);
	unlink(path);
	assert_false(htpasswd_valid_user("a:b"));
	assert_false(htpasswd_valid_user(""));
	assert_false(htpasswd_valid_user("a\nb"));
	assert_true(htpasswd_valid_user("mlflow-user"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_refused_formats),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_write_and_bcrypt),
	};
	return cmocka_run_group_tests_name("htpasswd", tests, NULL, NULL);
}
