-- t/data/torture.sql: the type-torture table of the initial-copy and
-- verify tests (t/040, t/080): every MySQL type chameleon maps, with the
-- extremes of each (MariaDB SQL, run as one batch).
SET SESSION sql_mode = '';
CREATE DATABASE shop CHARACTER SET utf8mb4;
USE shop;
CREATE TABLE torture (
  id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ti tinyint, tiu tinyint unsigned, si smallint, siu smallint unsigned,
  mi mediumint, miu mediumint unsigned, i int, iu int unsigned,
  bi bigint, biu bigint unsigned,
  de decimal(65,30), f float, d double, b1 bit(1), b64 bit(64), y year,
  dt date, dtm datetime(6), ts timestamp(3) NULL DEFAULT NULL, tm time(6),
  c char(5), vc varchar(20), tx text, bn binary(4), vb varbinary(10),
  bl longblob, e enum('small','medium','large'), st set('a','b','c'),
  j json, g geometry
) ENGINE=InnoDB;
INSERT INTO torture VALUES
 (1, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295,
  -9223372036854775808, 18446744073709551615,
  '12345678901234567890123456789012345.123456789012345678901234567891',
  3.14159274, 2.718281828459045, b'1', b'1111111111111111111111111111111111111111111111111111111111111110',
  1901, '2024-02-29', '2024-02-29 23:59:59.123456', '2038-01-19 03:14:07.999',
  '12:34:56.000001', 'ab', 'héllo 🦎', 'line1\nline2\ttab\\back',
  x'00ff0000', x'000102', repeat(x'ab', 1048576), 'medium', 'a,c',
  '{"k": [1, 2.5, "x"], "n": null}', ST_GeomFromText('POINT(1 2)', 4326)),
 (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL),
 (3, 127, 0, 32767, 0, 8388607, 0, 2147483647, 0, 9223372036854775807, 0,
  '-0.000000000000000000000000000001', -1.5e-10, -1e300, b'0', b'0', 0,
  '1000-01-01', '9999-12-31 23:59:59.999999', '1970-01-01 00:00:01', '838:59:59',
  '', '', '', x'', x'', x'', 'small', '', '[]', ST_GeomFromText('LINESTRING(0 0,1 1)')),
 (4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, b'1', b'1', 2000, '2000-01-01',
  '2000-01-01 00:00:00', '2000-01-01 00:00:00', '-00:00:01.5', 'x', 'x', 'x', x'01',
  x'01', x'01', 'large', 'b', '{}', NULL);
