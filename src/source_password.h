/*-------------------------------------------------------------------------
 *
 * source_password.h
 *	  The password a connection to a source sends: db_conn.password, or the
 *	  first line of db_conn.password_file read at connect time, with the
 *	  owner's right to have chameleon read server files checked again.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CHAMELEON_SOURCE_PASSWORD_H
#define CHAMELEON_SOURCE_PASSWORD_H

#include "source_conf.h"

/*
 * The password for one connection (palloc'd; "" when the source has none).
 * ERROR 42501 when password_file is set and the owner is neither a
 * superuser nor a member of pg_read_server_files; ERROR 58P01 (or another
 * file-access code) when the file cannot be read.  The file's content is
 * never part of a message.
 */
extern char *chameleon_source_password(const ChameleonSourceConf *conf);

/* Whether the source has a non-empty password or a password file. */
extern bool chameleon_source_has_password(const ChameleonSourceConf *conf);

/* Overwrites and frees a password returned by chameleon_source_password. */
extern void chameleon_source_password_free(char *password);

#endif							/* CHAMELEON_SOURCE_PASSWORD_H */
