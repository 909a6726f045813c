# src/binlog/stream.mk
#	Make fragment for the binlog network client (stream.c): linked into the
#	extension (the reader worker) and into the chameleon_binlog CLI.
#	Included by the top-level Makefile.

STREAM_SRCS = src/binlog/stream.c
