-- ALTER sequences for t/030_ddl_roundtrip.pl (issue 4, proof 2).  Every
-- statement runs in MariaDB as written and, translated, in PostgreSQL;
-- after the whole file both schemas are compared table by table.
-- One statement per block, terminated by ";" at end of line.

CREATE TABLE al_cols (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, a int);
INSERT INTO al_cols (a) VALUES (1), (2);
ALTER TABLE al_cols ADD COLUMN b varchar(20) NOT NULL;
ALTER TABLE al_cols ADD c int DEFAULT 5 AFTER a, ADD d date;
ALTER TABLE al_cols ADD COLUMN (e text, f decimal(6,2) NOT NULL DEFAULT 1.25);
ALTER TABLE al_cols DROP COLUMN d;
ALTER TABLE al_cols MODIFY COLUMN a bigint NOT NULL DEFAULT 0;
ALTER TABLE al_cols CHANGE b b_renamed varchar(40) DEFAULT 'x';
ALTER TABLE al_cols RENAME COLUMN c TO c2;
ALTER TABLE al_cols ALTER COLUMN c2 SET DEFAULT 7;
ALTER TABLE al_cols ALTER COLUMN f DROP DEFAULT;
ALTER TABLE al_cols MODIFY e varchar(100) DEFAULT '';

CREATE TABLE al_keys (a int NOT NULL, b int NOT NULL, c varchar(30), d int, PRIMARY KEY (a));
ALTER TABLE al_keys ADD INDEX idx_c (c);
ALTER TABLE al_keys ADD UNIQUE KEY uk_d (d), ADD KEY idx_bd (b, d);
ALTER TABLE al_keys DROP PRIMARY KEY, ADD PRIMARY KEY (a, b);
ALTER TABLE al_keys DROP INDEX idx_c;
ALTER TABLE al_keys RENAME INDEX idx_bd TO idx_bd2;
CREATE INDEX idx_cd ON al_keys (c(10), d);
DROP INDEX uk_d ON al_keys;
ALTER TABLE al_keys ADD CONSTRAINT uk_c UNIQUE (c);
ALTER TABLE al_keys DROP CONSTRAINT uk_c;

CREATE TABLE al_enum (id int PRIMARY KEY, e enum('a','b') NOT NULL DEFAULT 'a');
INSERT INTO al_enum VALUES (1, 'b');
ALTER TABLE al_enum MODIFY e enum('a','b','c') NOT NULL DEFAULT 'c';
ALTER TABLE al_enum ADD f enum('x','y');
ALTER TABLE al_enum MODIFY f varchar(10);

CREATE TABLE al_noop (id int PRIMARY KEY, v varchar(10));
ALTER TABLE al_noop ENGINE=InnoDB;
ALTER TABLE al_noop CONVERT TO CHARACTER SET utf8mb4;
ALTER TABLE al_noop DEFAULT CHARSET=latin1, ROW_FORMAT=DYNAMIC;
ALTER TABLE al_noop COMMENT='hello', ALGORITHM=INPLACE;
ALTER TABLE al_noop FORCE;
OPTIMIZE TABLE al_noop;

CREATE TABLE al_part (id int NOT NULL, y int NOT NULL, PRIMARY KEY (id, y)) PARTITION BY RANGE (y) (PARTITION p0 VALUES LESS THAN (2000), PARTITION p1 VALUES LESS THAN (2010));
ALTER TABLE al_part ADD PARTITION (PARTITION p2 VALUES LESS THAN (2020));
ALTER TABLE al_part DROP PARTITION p0;
ALTER TABLE al_part REORGANIZE PARTITION p2 INTO (PARTITION p2a VALUES LESS THAN (2015), PARTITION p2b VALUES LESS THAN (2020));
ALTER TABLE al_part REMOVE PARTITIONING;

CREATE TABLE al_ren1 (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, v int);
CREATE TABLE al_ren2 (id int PRIMARY KEY);
RENAME TABLE al_ren1 TO al_ren1b, al_ren2 TO al_ren2b;
ALTER TABLE al_ren1b RENAME TO al_ren1c;
ALTER TABLE al_ren1c DROP PRIMARY KEY, ADD PRIMARY KEY (id, v);
ALTER TABLE al_ren2b RENAME AS al_ren2c, ADD COLUMN w int;

CREATE TABLE al_drop1 (id int PRIMARY KEY);
CREATE TABLE al_drop2 (id int PRIMARY KEY);
CREATE TABLE al_drop3 (id int PRIMARY KEY);
DROP TABLE al_drop1, al_drop2;
DROP TABLE IF EXISTS al_drop3, al_missing;

CREATE TABLE al_auto (id int NOT NULL, v int, PRIMARY KEY (id));
ALTER TABLE al_auto MODIFY id int NOT NULL AUTO_INCREMENT;
ALTER TABLE al_auto MODIFY id bigint NOT NULL AUTO_INCREMENT;
ALTER TABLE al_auto MODIFY id bigint NOT NULL;

CREATE TABLE al_like_src (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, a varchar(10) NOT NULL DEFAULT 'q');
CREATE TABLE al_like LIKE al_like_src;
TRUNCATE TABLE al_like;
TRUNCATE al_like_src;

CREATE TABLE al_types (id int PRIMARY KEY, a int, b varchar(10), c datetime);
ALTER TABLE al_types MODIFY a bigint unsigned;
ALTER TABLE al_types MODIFY b text;
ALTER TABLE al_types MODIFY c datetime(3) DEFAULT CURRENT_TIMESTAMP(3);
ALTER TABLE al_types MODIFY a decimal(20,0) NOT NULL DEFAULT 0;
ALTER TABLE al_types ADD g timestamp NULL DEFAULT NULL, ADD h json;

CREATE TABLE `al-odd` (`my col` int PRIMARY KEY, `Upper` int);
ALTER TABLE `al-odd` ADD COLUMN `new-col` varchar(5), ADD INDEX `my-idx` (`Upper`);
ALTER TABLE `al-odd` CHANGE `Upper` `lower` int NOT NULL DEFAULT 3;
RENAME TABLE `al-odd` TO `al odd 2`;

CREATE TABLE al_fk_parent (id int PRIMARY KEY);
CREATE TABLE al_fk_child (id int PRIMARY KEY, p int);
ALTER TABLE al_fk_child ADD CONSTRAINT fk_p FOREIGN KEY (p) REFERENCES al_fk_parent (id) ON DELETE CASCADE;
ALTER TABLE al_fk_child DROP FOREIGN KEY fk_p;
ALTER TABLE al_fk_child ADD COLUMN p2 int REFERENCES al_fk_parent (id);
ALTER TABLE al_fk_child ADD CONSTRAINT IF NOT EXISTS ck_id CHECK (id > 0);

CREATE TABLE al_part2 (id int NOT NULL, y int NOT NULL, PRIMARY KEY (id, y)) PARTITION BY HASH (y) PARTITIONS 3;
ALTER TABLE al_part2 ADD COLUMN z varchar(3) DEFAULT 'z' REMOVE PARTITIONING;
ALTER TABLE al_part2 ENGINE=InnoDB `PAGE_COMPRESSED`=1;

CREATE TABLE al_last (id int PRIMARY KEY);
