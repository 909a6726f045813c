-- 85_positions: the one order of binlog coordinates (src/position.c), as
-- the catalogue's SQL sees it through chameleon._binlog_pos_cmp().
SET client_min_messages = warning;

-- file names order by their numeric suffix, not as text
SELECT chameleon._binlog_pos_cmp('mysql-bin.999999', 4, 'mysql-bin.1000000', 4) AS six_before_seven_digits,
       chameleon._binlog_pos_cmp('mysql-bin.1000000', 4, 'mysql-bin.999999', 4) AS seven_after_six,
       chameleon._binlog_pos_cmp('mysql-bin.000010', 4, 'mysql-bin.000009', 99999) AS ten_after_nine,
       chameleon._binlog_pos_cmp('mysql-bin.000002', 120, 'mysql-bin.000002', 4) AS offset_decides,
       chameleon._binlog_pos_cmp('mysql-bin.000002', 4, 'mysql-bin.000002', 4) AS equal,
       chameleon._binlog_pos_cmp('mysql-bin.0000002', 4, 'mysql-bin.000002', 4) AS leading_zeros_equal;

-- different base names, or no numeric suffix: compared as text
SELECT chameleon._binlog_pos_cmp('a-bin.000009', 4, 'b-bin.000001', 4) AS by_base_name,
       chameleon._binlog_pos_cmp('relay.log', 4, 'relay.log', 5) AS no_suffix,
       chameleon._binlog_pos_cmp(NULL, 4, 'mysql-bin.000001', 4) AS null_first;

-- sorting a list the way the catalogue does
SELECT f FROM (VALUES ('mysql-bin.1000001'), ('mysql-bin.999998'), ('mysql-bin.1000000'),
                      ('mysql-bin.999999')) v(f)
 ORDER BY (SELECT count(*) FROM (VALUES ('mysql-bin.1000001'), ('mysql-bin.999998'),
                                         ('mysql-bin.1000000'), ('mysql-bin.999999')) w(g)
            WHERE chameleon._binlog_pos_cmp(w.g, 0, v.f, 0) < 0);

-- object names are built by one function each
SELECT chameleon._log_table_name(7), chameleon._log_range_name(7, 2000000),
       chameleon._loading_schema_pattern(7);
