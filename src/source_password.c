/*-------------------------------------------------------------------------
 *
 * source_password.c
 *	  The password every connection to a source sends (the reader's binlog
 *	  stream, the copy, metadata, wait_caught_up, pgsql sources).
 *
 *	  db_conn.password_file names a file on the PostgreSQL server; reading
 *	  it is reading a server file with the server's OS account, so it is
 *	  allowed only to owners who could read it themselves (superusers and
 *	  members of pg_read_server_files, as COPY FROM a file).  add_source and
 *	  alter_source check the calling role; this checks the source's owner
 *	  at every connection, so a role that lost the right (or a source given
 *	  to another role) stops reading the file.  The file is read at each
 *	  connection: a rotated password is picked up by the next reconnect.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <unistd.h>

#include "source_password.h"

/* the longest password file line we read (MySQL's limit is far lower) */
#define PASSWORD_FILE_MAX 4096

/* Reads the first line of the password file (without its line end). */
static char *
read_password_file(const ChameleonSourceConf *conf)
{
	char		buf[PASSWORD_FILE_MAX + 1];
	ssize_t		total = 0;
	int			fd;
	char	   *end;
	char	   *result;

	fd = open(conf->password_file, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open db_conn.password_file \"%s\" of source \"%s\": %m",
						conf->password_file, conf->name),
				 errhint("The file is read by the PostgreSQL server's operating system account; check that it exists and that this account may read it.")));
	while (total < PASSWORD_FILE_MAX)
	{
		ssize_t		n = read(fd, buf + total, PASSWORD_FILE_MAX - total);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
		{
			int			save_errno = errno;

			close(fd);
			explicit_bzero(buf, sizeof(buf));
			errno = save_errno;
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read db_conn.password_file \"%s\" of source \"%s\": %m",
							conf->password_file, conf->name)));
		}
		if (n == 0)
			break;
		total += n;
		if (memchr(buf, '\n', total) != NULL)
			break;
	}
	close(fd);
	buf[total] = '\0';
	end = memchr(buf, '\n', total);
	if (end == NULL && total == PASSWORD_FILE_MAX)
	{
		explicit_bzero(buf, sizeof(buf));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the first line of db_conn.password_file \"%s\" of source \"%s\" is longer than %d bytes",
						conf->password_file, conf->name, PASSWORD_FILE_MAX),
				 errhint("Put the password alone on the first line of the file.")));
	}
	if (end == NULL)
		end = buf + total;
	/* a file written on Windows ends its line with CR LF */
	if (end > buf && end[-1] == '\r')
		end--;
	result = pnstrdup(buf, end - buf);
	explicit_bzero(buf, sizeof(buf));
	return result;
}

/* See source_password.h. */
char *
chameleon_source_password(const ChameleonSourceConf *conf)
{
	if (conf->password_file == NULL || conf->password_file[0] == '\0')
		return pstrdup(conf->password ? conf->password : "");
	if (!conf->owner_reads_files)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to read db_conn.password_file of source \"%s\"",
						conf->name),
				 errdetail("The owner of the source is neither a superuser nor a member of pg_read_server_files."),
				 errhint("Grant pg_read_server_files to the owner, or give the password itself with chameleon.alter_source().")));
	return read_password_file(conf);
}

/* See source_password.h. */
bool
chameleon_source_has_password(const ChameleonSourceConf *conf)
{
	return (conf->password != NULL && conf->password[0] != '\0') ||
		(conf->password_file != NULL && conf->password_file[0] != '\0');
}

/* See source_password.h. */
void
chameleon_source_password_free(char *password)
{
	if (password == NULL)
		return;
	explicit_bzero(password, strlen(password));
	pfree(password);
}
