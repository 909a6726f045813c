-- Corpus of CREATE TABLE statements for t/030_ddl_roundtrip.pl (issue 4,
-- proof 1).  Each statement is created in MariaDB, read back with SHOW
-- CREATE TABLE, translated and created in PostgreSQL; the catalogues are
-- then compared.  One statement per block, terminated by ";" at end of line.
-- Parents of foreign keys come before their children.

-- integer types
CREATE TABLE ti_tinyint (id int PRIMARY KEY, c tinyint);
CREATE TABLE ti_tinyint_u (id int PRIMARY KEY, c tinyint unsigned);
CREATE TABLE ti_tinyint1 (id int PRIMARY KEY, c tinyint(1) NOT NULL DEFAULT 0);
CREATE TABLE ti_bool (id int PRIMARY KEY, c bool DEFAULT 1);
CREATE TABLE ti_smallint (id int PRIMARY KEY, c smallint DEFAULT -5);
CREATE TABLE ti_smallint_u (id int PRIMARY KEY, c smallint unsigned NOT NULL);
CREATE TABLE ti_mediumint (id int PRIMARY KEY, c mediumint);
CREATE TABLE ti_mediumint_u (id int PRIMARY KEY, c mediumint unsigned DEFAULT 7);
CREATE TABLE ti_int (id int PRIMARY KEY, c int(11) DEFAULT NULL);
CREATE TABLE ti_int_u (id int PRIMARY KEY, c int unsigned NOT NULL DEFAULT 4000000000);
CREATE TABLE ti_integer (id int PRIMARY KEY, c integer);
CREATE TABLE ti_bigint (id int PRIMARY KEY, c bigint DEFAULT 9000000000);
CREATE TABLE ti_bigint_u (id int PRIMARY KEY, c bigint unsigned);
CREATE TABLE ti_zerofill (id int PRIMARY KEY, c int(5) zerofill);
CREATE TABLE ti_int_display (id int PRIMARY KEY, a int(3), b smallint(2), c bigint(30));
-- fixed and floating point
CREATE TABLE tn_decimal (id int PRIMARY KEY, c decimal(10,2) DEFAULT 1.50);
CREATE TABLE tn_decimal_p (id int PRIMARY KEY, c decimal(5));
CREATE TABLE tn_decimal_default (id int PRIMARY KEY, c decimal);
CREATE TABLE tn_decimal_big (id int PRIMARY KEY, c decimal(65,30));
CREATE TABLE tn_decimal_u (id int PRIMARY KEY, c decimal(8,3) unsigned NOT NULL DEFAULT 0.000);
CREATE TABLE tn_numeric (id int PRIMARY KEY, c numeric(12,4));
CREATE TABLE tn_float (id int PRIMARY KEY, c float DEFAULT 1.5);
CREATE TABLE tn_float_md (id int PRIMARY KEY, c float(7,3));
CREATE TABLE tn_double (id int PRIMARY KEY, c double NOT NULL DEFAULT 0);
CREATE TABLE tn_double_md (id int PRIMARY KEY, c double(12,4));
CREATE TABLE tn_real (id int PRIMARY KEY, c real);
CREATE TABLE tn_double_precision (id int PRIMARY KEY, c double precision);
-- bit and year
CREATE TABLE tb_bit1 (id int PRIMARY KEY, c bit(1) DEFAULT b'0');
CREATE TABLE tb_bit8 (id int PRIMARY KEY, c bit(8) DEFAULT b'101');
CREATE TABLE tb_bit64 (id int PRIMARY KEY, c bit(64));
CREATE TABLE tb_bit (id int PRIMARY KEY, c bit);
CREATE TABLE ty_year (id int PRIMARY KEY, c year DEFAULT 2000);
CREATE TABLE ty_year4 (id int PRIMARY KEY, c year(4) NOT NULL);
-- dates and times
CREATE TABLE td_date (id int PRIMARY KEY, c date DEFAULT '2020-01-31');
CREATE TABLE td_date_zero (id int PRIMARY KEY, c date NOT NULL DEFAULT '0000-00-00');
CREATE TABLE td_datetime (id int PRIMARY KEY, c datetime);
CREATE TABLE td_datetime3 (id int PRIMARY KEY, c datetime(3) DEFAULT CURRENT_TIMESTAMP(3));
CREATE TABLE td_datetime6 (id int PRIMARY KEY, c datetime(6) NOT NULL DEFAULT '2001-02-03 04:05:06.123456');
CREATE TABLE td_datetime_now (id int PRIMARY KEY, c datetime DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP);
CREATE TABLE td_datetime_zero (id int PRIMARY KEY, c datetime DEFAULT '0000-00-00 00:00:00');
CREATE TABLE td_timestamp (id int PRIMARY KEY, c timestamp NULL DEFAULT NULL);
CREATE TABLE td_timestamp_now (id int PRIMARY KEY, c timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP);
CREATE TABLE td_timestamp3 (id int PRIMARY KEY, c timestamp(3) NULL DEFAULT CURRENT_TIMESTAMP(3));
CREATE TABLE td_timestamp_lit (id int PRIMARY KEY, c timestamp NOT NULL DEFAULT '2010-01-01 00:00:00');
CREATE TABLE td_time (id int PRIMARY KEY, c time DEFAULT '12:30:00');
CREATE TABLE td_time2 (id int PRIMARY KEY, c time(2));
CREATE TABLE td_time6 (id int PRIMARY KEY, c time(6) NOT NULL);
CREATE TABLE td_date_curdate (id int PRIMARY KEY, c date DEFAULT (curdate()));
-- character strings
CREATE TABLE ts_char (id int PRIMARY KEY, c char(10) DEFAULT 'abc');
CREATE TABLE ts_char1 (id int PRIMARY KEY, c char);
CREATE TABLE ts_varchar (id int PRIMARY KEY, c varchar(255) NOT NULL DEFAULT '');
CREATE TABLE ts_varchar_utf8 (id int PRIMARY KEY, c varchar(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci);
CREATE TABLE ts_varchar_latin1 (id int PRIMARY KEY, c varchar(20) CHARACTER SET latin1);
CREATE TABLE ts_varchar_quote (id int PRIMARY KEY, c varchar(20) DEFAULT 'it''s');
CREATE TABLE ts_varchar_backslash (id int PRIMARY KEY, c varchar(20) DEFAULT 'a\\b');
CREATE TABLE ts_varchar_unicode (id int PRIMARY KEY, c varchar(20) DEFAULT 'héllo wörld');
CREATE TABLE ts_nchar (id int PRIMARY KEY, c national char(5), d nvarchar(10));
CREATE TABLE ts_tinytext (id int PRIMARY KEY, c tinytext);
CREATE TABLE ts_text (id int PRIMARY KEY, c text NOT NULL);
CREATE TABLE ts_mediumtext (id int PRIMARY KEY, c mediumtext);
CREATE TABLE ts_longtext (id int PRIMARY KEY, c longtext);
CREATE TABLE ts_text_default (id int PRIMARY KEY, c text DEFAULT 'some text');
CREATE TABLE ts_varchar_binary_coll (id int PRIMARY KEY, c varchar(10) BINARY);
-- binary strings
CREATE TABLE tx_binary (id int PRIMARY KEY, c binary(16));
CREATE TABLE tx_varbinary (id int PRIMARY KEY, c varbinary(200) DEFAULT 'ab');
CREATE TABLE tx_tinyblob (id int PRIMARY KEY, c tinyblob);
CREATE TABLE tx_blob (id int PRIMARY KEY, c blob);
CREATE TABLE tx_mediumblob (id int PRIMARY KEY, c mediumblob);
CREATE TABLE tx_longblob (id int PRIMARY KEY, c longblob NOT NULL);
CREATE TABLE tx_hex_default (id int PRIMARY KEY, c varbinary(4) DEFAULT X'00FF');
-- enum, set, json, geometry, MariaDB types
CREATE TABLE te_enum (id int PRIMARY KEY, c enum('small','medium','large') NOT NULL DEFAULT 'medium');
CREATE TABLE te_enum_null (id int PRIMARY KEY, c enum('a','b'));
CREATE TABLE te_enum_quote (id int PRIMARY KEY, c enum('it''s','x,y','') DEFAULT 'x,y');
CREATE TABLE te_enum_two (id int PRIMARY KEY, c1 enum('y','n') DEFAULT 'n', c2 enum('on','off'));
CREATE TABLE te_set (id int PRIMARY KEY, c set('red','green','blue') DEFAULT 'red,blue');
CREATE TABLE tj_json (id int PRIMARY KEY, c json);
CREATE TABLE tj_json_nn (id int PRIMARY KEY, c json NOT NULL);
CREATE TABLE tg_geometry (id int PRIMARY KEY, c geometry);
CREATE TABLE tg_point (id int PRIMARY KEY, c point NOT NULL);
CREATE TABLE tg_linestring (id int PRIMARY KEY, c linestring);
CREATE TABLE tg_polygon (id int PRIMARY KEY, c polygon);
CREATE TABLE tg_multi (id int PRIMARY KEY, a multipoint, b multilinestring, c multipolygon, d geometrycollection);
CREATE TABLE tm_inet6 (id int PRIMARY KEY, c inet6);
CREATE TABLE tm_uuid (id int PRIMARY KEY, c uuid);
CREATE TABLE tm_inet4 (id int PRIMARY KEY, c inet4);
-- column attributes
CREATE TABLE ta_auto (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, v int);
CREATE TABLE ta_auto_big (id bigint NOT NULL AUTO_INCREMENT, PRIMARY KEY (id));
CREATE TABLE ta_auto_bigu (id bigint unsigned NOT NULL AUTO_INCREMENT, PRIMARY KEY (id));
CREATE TABLE ta_auto_start (id int NOT NULL AUTO_INCREMENT, PRIMARY KEY (id)) AUTO_INCREMENT=1000;
CREATE TABLE ta_auto_small (id smallint unsigned NOT NULL AUTO_INCREMENT, PRIMARY KEY (id));
CREATE TABLE ta_auto_tiny (id tinyint NOT NULL AUTO_INCREMENT, PRIMARY KEY (id));
CREATE TABLE ta_serial (id serial, v int);
CREATE TABLE ta_comment (id int PRIMARY KEY COMMENT 'the key', c int COMMENT 'a ''quoted'' comment') COMMENT='table comment';
CREATE TABLE ta_collate (id int PRIMARY KEY, c varchar(10) COLLATE utf8mb4_bin);
CREATE TABLE ta_generated (id int PRIMARY KEY, a int, b int AS (a * 2) VIRTUAL, c int GENERATED ALWAYS AS (a + 1) STORED);
CREATE TABLE ta_invisible (id int PRIMARY KEY, c int INVISIBLE);
CREATE TABLE ta_check (id int PRIMARY KEY, c int CHECK (c > 0));
CREATE TABLE ta_check_table (id int PRIMARY KEY, a int, b int, CONSTRAINT chk_ab CHECK (a < b));
CREATE TABLE ta_null_explicit (id int PRIMARY KEY, c int NULL);
CREATE TABLE ta_all_nn (a int NOT NULL, b varchar(5) NOT NULL, c date NOT NULL);
CREATE TABLE ta_defaults_many (id int PRIMARY KEY, a int DEFAULT 0, b varchar(5) DEFAULT 'x', c double DEFAULT 2.5, d date DEFAULT '1999-12-31', e char(2) DEFAULT 'ab');
CREATE TABLE ta_default_expr (id int PRIMARY KEY, a int DEFAULT (1 + 1));
CREATE TABLE ta_default_uuid (id int PRIMARY KEY, u varchar(36) DEFAULT (uuid()));
CREATE TABLE ta_no_pk (a int, b int);
CREATE TABLE ta_unique_inline (id int PRIMARY KEY, email varchar(100) UNIQUE);
CREATE TABLE ta_ref_system_id (id int PRIMARY KEY, g geometry REF_SYSTEM_ID=4326, p point REF_SYSTEM_ID = 0 NOT NULL);
CREATE TABLE ta_compressed (id int PRIMARY KEY, c blob COMPRESSED);
-- keys of every kind
CREATE TABLE tk_pk_multi (a int NOT NULL, b int NOT NULL, c int, PRIMARY KEY (a, b));
CREATE TABLE tk_unique (id int PRIMARY KEY, a int, b int, UNIQUE KEY uk_ab (a, b));
CREATE TABLE tk_unique_unnamed (id int PRIMARY KEY, a int, UNIQUE (a));
CREATE TABLE tk_index (id int PRIMARY KEY, a int, b varchar(10), KEY idx_a (a), INDEX idx_b (b));
CREATE TABLE tk_index_unnamed (id int PRIMARY KEY, a int, b int, KEY (a), KEY (a, b));
CREATE TABLE tk_prefix (id int PRIMARY KEY, a varchar(200), b text, KEY idx_a (a(10)), KEY idx_b (b(20)));
CREATE TABLE tk_desc (id int PRIMARY KEY, a int, b int, KEY idx_ab (a DESC, b ASC));
CREATE TABLE tk_using (id int PRIMARY KEY, a int, KEY idx_a (a) USING BTREE);
CREATE TABLE tk_hash (id int PRIMARY KEY, a int, KEY idx_a (a) USING HASH) ENGINE=MEMORY;
CREATE TABLE tk_fulltext (id int PRIMARY KEY, body text, FULLTEXT KEY ft_body (body));
CREATE TABLE tk_spatial (id int PRIMARY KEY, g geometry NOT NULL, SPATIAL KEY sp_g (g));
CREATE TABLE tk_comment_idx (id int PRIMARY KEY, a int, KEY idx_a (a) COMMENT 'index comment');
CREATE TABLE tk_many (id int PRIMARY KEY, a int, b int, c int, d int, UNIQUE KEY u1 (a), UNIQUE KEY u2 (b, c), KEY k1 (c), KEY k2 (d, a));
CREATE TABLE tk_same_index_name (id int PRIMARY KEY, a int, KEY idx_a (a));
CREATE TABLE tk_constraint_unique (id int PRIMARY KEY, a int, CONSTRAINT cu_a UNIQUE (a));
CREATE TABLE tk_pk_varchar (code varchar(10) NOT NULL, PRIMARY KEY (code));
CREATE TABLE tk_pk_prefix (code varchar(300) NOT NULL, PRIMARY KEY (code(100)));
-- foreign keys
CREATE TABLE tf_parent (id int NOT NULL, code char(3) NOT NULL, PRIMARY KEY (id), UNIQUE KEY uk_code (code));
CREATE TABLE tf_child_cascade (id int PRIMARY KEY, parent_id int, KEY (parent_id), CONSTRAINT fk_cc FOREIGN KEY (parent_id) REFERENCES tf_parent (id) ON DELETE CASCADE);
CREATE TABLE tf_child_setnull (id int PRIMARY KEY, parent_id int, CONSTRAINT fk_sn FOREIGN KEY (parent_id) REFERENCES tf_parent (id) ON DELETE SET NULL ON UPDATE CASCADE);
CREATE TABLE tf_child_restrict (id int PRIMARY KEY, parent_id int NOT NULL, FOREIGN KEY (parent_id) REFERENCES tf_parent (id) ON DELETE RESTRICT ON UPDATE NO ACTION);
CREATE TABLE tf_child_code (id int PRIMARY KEY, code char(3), CONSTRAINT fk_code FOREIGN KEY (code) REFERENCES tf_parent (code));
CREATE TABLE tf_self (id int PRIMARY KEY, parent_id int, CONSTRAINT fk_self FOREIGN KEY (parent_id) REFERENCES tf_self (id));
CREATE TABLE tf_multi_parent (a int NOT NULL, b int NOT NULL, PRIMARY KEY (a, b));
CREATE TABLE tf_multi_child (id int PRIMARY KEY, a int, b int, CONSTRAINT fk_multi FOREIGN KEY (a, b) REFERENCES tf_multi_parent (a, b) ON DELETE CASCADE);
-- partitions
CREATE TABLE tp_range (id int NOT NULL, y int NOT NULL, PRIMARY KEY (id, y)) PARTITION BY RANGE (y) (PARTITION p0 VALUES LESS THAN (2000), PARTITION p1 VALUES LESS THAN (2010), PARTITION p2 VALUES LESS THAN MAXVALUE);
CREATE TABLE tp_hash (id int NOT NULL PRIMARY KEY, v varchar(10)) PARTITION BY HASH (id) PARTITIONS 4;
CREATE TABLE tp_key (id int NOT NULL PRIMARY KEY) PARTITION BY KEY (id) PARTITIONS 2;
CREATE TABLE tp_list (id int NOT NULL, region int NOT NULL, PRIMARY KEY (id, region)) PARTITION BY LIST (region) (PARTITION pn VALUES IN (1, 2), PARTITION ps VALUES IN (3, 4));
CREATE TABLE tp_range_columns (id int NOT NULL, d date NOT NULL, PRIMARY KEY (id, d)) PARTITION BY RANGE COLUMNS (d) (PARTITION p0 VALUES LESS THAN ('2020-01-01'), PARTITION p1 VALUES LESS THAN (MAXVALUE));
CREATE TABLE tp_sub (id int NOT NULL, d date NOT NULL) PARTITION BY RANGE (YEAR(d)) SUBPARTITION BY HASH (TO_DAYS(d)) SUBPARTITIONS 2 (PARTITION p0 VALUES LESS THAN (2000), PARTITION p1 VALUES LESS THAN MAXVALUE);
-- odd identifiers
CREATE TABLE `my-table` (`my-col` int PRIMARY KEY, `other col` varchar(10));
CREATE TABLE `select` (`from` int PRIMARY KEY, `where` int, `order` varchar(5), KEY `group` (`where`));
CREATE TABLE `MixedCase` (`Id` int PRIMARY KEY, `CamelCol` int, KEY `IdxCamel` (`CamelCol`));
CREATE TABLE `tâble_ünïcode` (`cölumn` int PRIMARY KEY, `名前` varchar(20));
CREATE TABLE `x"; DROP TABLE y; --` (`a"b` int PRIMARY KEY);
CREATE TABLE `back``tick` (`a``b` int PRIMARY KEY);
CREATE TABLE `1digit_start` (`2col` int PRIMARY KEY, `3col` int);
CREATE TABLE `$dollar` (`a$b` int PRIMARY KEY);
CREATE TABLE `with space` (`col with space` int PRIMARY KEY);
CREATE TABLE user (id int PRIMARY KEY, name varchar(10), `user` int, `table` int);
CREATE TABLE `a_table_name_that_is_really_quite_long_for_tests_ok` (id int PRIMARY KEY, `a_column_name_that_is_also_very_long_to_test_idx` int, KEY `an_index_name_that_is_long_as_well_to_see_truncation` (`a_column_name_that_is_also_very_long_to_test_idx`));
-- table options
CREATE TABLE to_engine (id int PRIMARY KEY) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
CREATE TABLE to_myisam (id int PRIMARY KEY, a int, KEY (a)) ENGINE=MyISAM;
CREATE TABLE to_aria (id int PRIMARY KEY) ENGINE=Aria;
CREATE TABLE to_row_format (id int PRIMARY KEY) ROW_FORMAT=COMPRESSED KEY_BLOCK_SIZE=8;
CREATE TABLE to_many_options (id int PRIMARY KEY) ENGINE=InnoDB AUTO_INCREMENT=5 AVG_ROW_LENGTH=100 CHECKSUM=1 MAX_ROWS=1000 MIN_ROWS=1 PACK_KEYS=1 STATS_PERSISTENT=0 COMMENT='opts';
CREATE TABLE to_charset_latin1 (id int PRIMARY KEY, c varchar(10)) DEFAULT CHARACTER SET latin1;
CREATE TABLE to_memory (id int PRIMARY KEY, c varchar(10)) ENGINE=MEMORY;
CREATE TABLE to_page_compressed (id int PRIMARY KEY) PAGE_COMPRESSED=1;
-- Sakila-style schema
CREATE TABLE language (language_id tinyint unsigned NOT NULL AUTO_INCREMENT, name char(20) NOT NULL, last_update timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (language_id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE actor (actor_id smallint unsigned NOT NULL AUTO_INCREMENT, first_name varchar(45) NOT NULL, last_name varchar(45) NOT NULL, last_update timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (actor_id), KEY idx_actor_last_name (last_name)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE category (category_id tinyint unsigned NOT NULL AUTO_INCREMENT, name varchar(25) NOT NULL, last_update timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (category_id)) ENGINE=InnoDB;
CREATE TABLE country (country_id smallint unsigned NOT NULL AUTO_INCREMENT, country varchar(50) NOT NULL, last_update timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (country_id)) ENGINE=InnoDB;
CREATE TABLE city (city_id smallint unsigned NOT NULL AUTO_INCREMENT, city varchar(50) NOT NULL, country_id smallint unsigned NOT NULL, last_update timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (city_id), KEY idx_fk_country_id (country_id), CONSTRAINT fk_city_country FOREIGN KEY (country_id) REFERENCES country (country_id) ON DELETE RESTRICT ON UPDATE CASCADE) ENGINE=InnoDB;
CREATE TABLE address (address_id smallint unsigned NOT NULL AUTO_INCREMENT, address varchar(50) NOT NULL, address2 varchar(50) DEFAULT NULL, district varchar(20) NOT NULL, city_id smallint unsigned NOT NULL, postal_code varchar(10) DEFAULT NULL, phone varchar(20) NOT NULL, location geometry NOT NULL, last_update timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (address_id), KEY idx_fk_city_id (city_id), SPATIAL KEY idx_location (location), CONSTRAINT fk_address_city FOREIGN KEY (city_id) REFERENCES city (city_id) ON DELETE RESTRICT ON UPDATE CASCADE) ENGINE=InnoDB;
CREATE TABLE film (film_id smallint unsigned NOT NULL AUTO_INCREMENT, title varchar(128) NOT NULL, description text, release_year year DEFAULT NULL, language_id tinyint unsigned NOT NULL, original_language_id tinyint unsigned DEFAULT NULL, rental_duration tinyint unsigned NOT NULL DEFAULT 3, rental_rate decimal(4,2) NOT NULL DEFAULT 4.99, length smallint unsigned DEFAULT NULL, replacement_cost decimal(5,2) NOT NULL DEFAULT 19.99, rating enum('G','PG','PG-13','R','NC-17') DEFAULT 'G', special_features set('Trailers','Commentaries','Deleted Scenes','Behind the Scenes') DEFAULT NULL, last_update timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (film_id), KEY idx_title (title), KEY idx_fk_language_id (language_id), KEY idx_fk_original_language_id (original_language_id), CONSTRAINT fk_film_language FOREIGN KEY (language_id) REFERENCES language (language_id) ON DELETE RESTRICT ON UPDATE CASCADE, CONSTRAINT fk_film_language_original FOREIGN KEY (original_language_id) REFERENCES language (language_id) ON DELETE RESTRICT ON UPDATE CASCADE) ENGINE=InnoDB;
CREATE TABLE film_actor (actor_id smallint unsigned NOT NULL, film_id smallint unsigned NOT NULL, last_update timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (actor_id, film_id), KEY idx_fk_film_id (film_id), CONSTRAINT fk_film_actor_actor FOREIGN KEY (actor_id) REFERENCES actor (actor_id) ON DELETE RESTRICT ON UPDATE CASCADE, CONSTRAINT fk_film_actor_film FOREIGN KEY (film_id) REFERENCES film (film_id) ON DELETE RESTRICT ON UPDATE CASCADE) ENGINE=InnoDB;
CREATE TABLE film_category (film_id smallint unsigned NOT NULL, category_id tinyint unsigned NOT NULL, last_update timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (film_id, category_id), CONSTRAINT fk_film_category_film FOREIGN KEY (film_id) REFERENCES film (film_id) ON DELETE RESTRICT ON UPDATE CASCADE, CONSTRAINT fk_film_category_category FOREIGN KEY (category_id) REFERENCES category (category_id) ON DELETE RESTRICT ON UPDATE CASCADE) ENGINE=InnoDB;
CREATE TABLE film_text (film_id smallint NOT NULL, title varchar(255) NOT NULL, description text, PRIMARY KEY (film_id), FULLTEXT KEY idx_title_description (title, description)) ENGINE=InnoDB;
CREATE TABLE staff (staff_id tinyint unsigned NOT NULL AUTO_INCREMENT, first_name varchar(45) NOT NULL, last_name varchar(45) NOT NULL, address_id smallint unsigned NOT NULL, picture blob DEFAULT NULL, email varchar(50) DEFAULT NULL, store_id tinyint unsigned NOT NULL, active tinyint(1) NOT NULL DEFAULT 1, username varchar(16) NOT NULL, password varchar(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL, last_update timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (staff_id), KEY idx_fk_store_id (store_id), KEY idx_fk_address_id (address_id)) ENGINE=InnoDB;
CREATE TABLE store (store_id tinyint unsigned NOT NULL AUTO_INCREMENT, manager_staff_id tinyint unsigned NOT NULL, address_id smallint unsigned NOT NULL, last_update timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (store_id), UNIQUE KEY idx_unique_manager (manager_staff_id), KEY idx_fk_address_id (address_id), CONSTRAINT fk_store_staff FOREIGN KEY (manager_staff_id) REFERENCES staff (staff_id) ON DELETE RESTRICT ON UPDATE CASCADE, CONSTRAINT fk_store_address FOREIGN KEY (address_id) REFERENCES address (address_id) ON DELETE RESTRICT ON UPDATE CASCADE) ENGINE=InnoDB;
CREATE TABLE customer (customer_id smallint unsigned NOT NULL AUTO_INCREMENT, store_id tinyint unsigned NOT NULL, first_name varchar(45) NOT NULL, last_name varchar(45) NOT NULL, email varchar(50) DEFAULT NULL, address_id smallint unsigned NOT NULL, active tinyint(1) NOT NULL DEFAULT 1, create_date datetime NOT NULL, last_update timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (customer_id), KEY idx_fk_store_id (store_id), KEY idx_fk_address_id (address_id), KEY idx_last_name (last_name), CONSTRAINT fk_customer_address FOREIGN KEY (address_id) REFERENCES address (address_id) ON DELETE RESTRICT ON UPDATE CASCADE, CONSTRAINT fk_customer_store FOREIGN KEY (store_id) REFERENCES store (store_id) ON DELETE RESTRICT ON UPDATE CASCADE) ENGINE=InnoDB;
CREATE TABLE inventory (inventory_id mediumint unsigned NOT NULL AUTO_INCREMENT, film_id smallint unsigned NOT NULL, store_id tinyint unsigned NOT NULL, last_update timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (inventory_id), KEY idx_fk_film_id (film_id), KEY idx_store_id_film_id (store_id, film_id), CONSTRAINT fk_inventory_store FOREIGN KEY (store_id) REFERENCES store (store_id) ON DELETE RESTRICT ON UPDATE CASCADE, CONSTRAINT fk_inventory_film FOREIGN KEY (film_id) REFERENCES film (film_id) ON DELETE RESTRICT ON UPDATE CASCADE) ENGINE=InnoDB;
CREATE TABLE rental (rental_id int NOT NULL AUTO_INCREMENT, rental_date datetime NOT NULL, inventory_id mediumint unsigned NOT NULL, customer_id smallint unsigned NOT NULL, return_date datetime DEFAULT NULL, staff_id tinyint unsigned NOT NULL, last_update timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (rental_id), UNIQUE KEY rental_date (rental_date, inventory_id, customer_id), KEY idx_fk_inventory_id (inventory_id), KEY idx_fk_customer_id (customer_id), KEY idx_fk_staff_id (staff_id), CONSTRAINT fk_rental_staff FOREIGN KEY (staff_id) REFERENCES staff (staff_id) ON DELETE RESTRICT ON UPDATE CASCADE, CONSTRAINT fk_rental_inventory FOREIGN KEY (inventory_id) REFERENCES inventory (inventory_id) ON DELETE RESTRICT ON UPDATE CASCADE, CONSTRAINT fk_rental_customer FOREIGN KEY (customer_id) REFERENCES customer (customer_id) ON DELETE RESTRICT ON UPDATE CASCADE) ENGINE=InnoDB;
CREATE TABLE payment (payment_id smallint unsigned NOT NULL AUTO_INCREMENT, customer_id smallint unsigned NOT NULL, staff_id tinyint unsigned NOT NULL, rental_id int DEFAULT NULL, amount decimal(5,2) NOT NULL, payment_date datetime NOT NULL, last_update timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, PRIMARY KEY (payment_id), KEY idx_fk_staff_id (staff_id), KEY idx_fk_customer_id (customer_id), CONSTRAINT fk_payment_rental FOREIGN KEY (rental_id) REFERENCES rental (rental_id) ON DELETE SET NULL ON UPDATE CASCADE, CONSTRAINT fk_payment_customer FOREIGN KEY (customer_id) REFERENCES customer (customer_id) ON DELETE RESTRICT ON UPDATE CASCADE, CONSTRAINT fk_payment_staff FOREIGN KEY (staff_id) REFERENCES staff (staff_id) ON DELETE RESTRICT ON UPDATE CASCADE) ENGINE=InnoDB;
-- misc shapes
CREATE TABLE IF NOT EXISTS tz_if_not_exists (id int PRIMARY KEY);
CREATE TABLE tz_wide (c1 int, c2 int, c3 int, c4 int, c5 int, c6 int, c7 int, c8 int, c9 int, c10 int, c11 varchar(10), c12 varchar(10), c13 date, c14 datetime, c15 decimal(9,2), c16 text, c17 blob, c18 double, c19 float, c20 bigint);
CREATE TABLE tz_single (c int);
CREATE TABLE tz_comments (id int /* inline comment */ PRIMARY KEY, -- line comment
 c int # hash comment
);
CREATE TABLE tz_exec_comment (id int PRIMARY KEY) /*!50100 ENGINE=InnoDB */;
CREATE TABLE tz_mixed_keys (id bigint unsigned NOT NULL AUTO_INCREMENT, uuid binary(16) NOT NULL, created datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), status enum('new','done') NOT NULL DEFAULT 'new', payload json, PRIMARY KEY (id), UNIQUE KEY uk_uuid (uuid), KEY idx_status_created (status, created));
CREATE TABLE tz_orders (order_id int unsigned NOT NULL AUTO_INCREMENT, customer varchar(64) NOT NULL, total decimal(12,2) NOT NULL DEFAULT 0.00, placed_at timestamp(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), note tinytext, PRIMARY KEY (order_id), KEY idx_customer (customer(16)), KEY idx_placed (placed_at));
CREATE TABLE tz_log (id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY, level enum('debug','info','warn','error') NOT NULL, msg varchar(1000), ctx json, at datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), KEY idx_level_at (level, at));
CREATE TABLE tz_money (id int PRIMARY KEY, a decimal(19,4) NOT NULL DEFAULT 0.0000, b decimal(38,10), c decimal(1,0), d decimal(30,30));
CREATE TABLE tz_flags (id int PRIMARY KEY, f1 bit(1) NOT NULL DEFAULT b'1', f2 bit(3) DEFAULT b'010', f3 tinyint(1) DEFAULT NULL);
CREATE TABLE tz_years (id int PRIMARY KEY, y1 year NOT NULL DEFAULT 1999, y2 year DEFAULT NULL);
CREATE TABLE tz_times (id int PRIMARY KEY, t1 time NOT NULL DEFAULT '00:00:00', t2 time(3) DEFAULT '23:59:59.999', t3 time DEFAULT NULL);
CREATE TABLE tz_all_ints_u (a tinyint unsigned, b smallint unsigned, c mediumint unsigned, d int unsigned, e bigint unsigned, KEY (a), KEY (e));
CREATE TABLE tz_varchar_max (id int PRIMARY KEY, c varchar(16000));
CREATE TABLE tz_char_pk (k char(36) NOT NULL PRIMARY KEY, v varchar(10));
CREATE TABLE tz_binary_pk (k binary(16) NOT NULL, v int, PRIMARY KEY (k));
CREATE TABLE tz_enum_pk (k enum('a','b','c') NOT NULL, v int, PRIMARY KEY (k));
CREATE TABLE tz_date_pk (d date NOT NULL, v int, PRIMARY KEY (d));
CREATE TABLE tz_unique_nullable (id int PRIMARY KEY, a int, b int, UNIQUE KEY (a, b));
CREATE TABLE tz_two_uniques_same_col (id int PRIMARY KEY, a int, UNIQUE KEY u1 (a), KEY k1 (a));
CREATE TABLE tz_negative_defaults (id int PRIMARY KEY, a int DEFAULT -1, b decimal(5,2) DEFAULT -0.50, c double DEFAULT -1.5e3);
CREATE TABLE tz_text_keys (id int PRIMARY KEY, a text, b blob, KEY (a(100)), KEY (b(50)));
CREATE TABLE tz_dt_defaults (id int PRIMARY KEY, a datetime DEFAULT '2000-01-01 00:00:00', b timestamp NULL DEFAULT '2000-01-01 00:00:00', c date DEFAULT '2000-01-01');
CREATE TABLE tz_latin1_text (id int PRIMARY KEY, a text CHARACTER SET latin1, b char(5) CHARACTER SET ascii);
CREATE TABLE tz_like_source (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, a varchar(10) NOT NULL DEFAULT 'x', KEY idx_a (a));
CREATE TABLE tz_system_versioned (id int PRIMARY KEY, v int) WITH SYSTEM VERSIONING;
CREATE TABLE tz_sequence_like (id int PRIMARY KEY, nextval bigint);
CREATE TABLE tz_last (id int PRIMARY KEY, done bool NOT NULL DEFAULT 0);

-- MariaDB forms: system versioning, application-time periods, inline
-- REFERENCES, engine-defined options
CREATE TABLE tv_sysver (id int PRIMARY KEY, v varchar(10)) WITH SYSTEM VERSIONING;
CREATE TABLE tv_sysver_cols (id int, rs timestamp(6) GENERATED ALWAYS AS ROW START, re timestamp(6) GENERATED ALWAYS AS ROW END, PERIOD FOR SYSTEM_TIME (rs, re), PRIMARY KEY (id)) WITH SYSTEM VERSIONING;
CREATE TABLE tv_period (id int NOT NULL, s date NOT NULL, e date NOT NULL, v int, PERIOD FOR app (s, e), UNIQUE KEY uk_app (id, app WITHOUT OVERLAPS), KEY k_v (v));
CREATE TABLE tv_period_pk (id int NOT NULL, s datetime NOT NULL, e datetime NOT NULL, PERIOD FOR p (s, e), PRIMARY KEY (id, p WITHOUT OVERLAPS));
CREATE TABLE tv_inline_ref (id int PRIMARY KEY, p int REFERENCES tk_unique (id), q int CONSTRAINT fk_tv_q REFERENCES tk_unique (id) ON DELETE CASCADE);
CREATE TABLE tv_engine_opt (id int PRIMARY KEY, v varchar(5)) ENGINE=InnoDB PAGE_COMPRESSED=1 PAGE_COMPRESSION_LEVEL=3;
