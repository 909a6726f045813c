#!/bin/bash
# tools/demo.sh
#	The main job in one command, as root on Debian 12: installs the
#	packages, builds and installs chameleon, starts a throwaway MariaDB
#	(binlog ROW, FULL image, FULL metadata) and a PostgreSQL 15 with
#	chameleon preloaded, both on 127.0.0.1 in a temporary directory, loads a
#	small sample database into MariaDB, configures it as a source from psql,
#	copies it into PostgreSQL with init_replica(), starts the replica,
#	makes changes in MariaDB and shows them applied in PostgreSQL with
#	chameleon.show_status.  Both servers are
#	stopped at the end (DEMO_KEEP=1 leaves them running and says how to
#	connect).
set -euo pipefail

cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: run as root (it installs packages and the extension)" >&2
	exit 2
fi

bash tools/install-deps.sh
export PATH="/usr/lib/postgresql/15/bin:$PATH"
make -j"$(nproc)" >/dev/null
make install >/dev/null

DEMO=$(mktemp -d /tmp/chameleon-demo.XXXXXX)
chmod 755 "$DEMO"
MYSQL_PID=
PG_STARTED=

# Prints a free TCP port on 127.0.0.1.
free_port()
{
	perl -MIO::Socket::INET -e \
		'print IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1", LocalPort => 0)->sockport'
}

# Stops both servers and removes the directory, unless DEMO_KEEP is set.
cleanup()
{
	if [ -n "${DEMO_KEEP:-}" ]; then
		return
	fi
	if [ -n "$PG_STARTED" ]; then
		runuser -u postgres -- pg_ctl -D "$DEMO/pg" -m fast stop >/dev/null 2>&1 || true
	fi
	if [ -n "$MYSQL_PID" ]; then
		kill "$MYSQL_PID" 2>/dev/null || true
		wait "$MYSQL_PID" 2>/dev/null || true
	fi
	rm -rf "$DEMO"
}
trap cleanup EXIT

MY_PORT=$(free_port)
PG_PORT=$(free_port)
MY_PASSWORD="demo-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"

echo "=== MariaDB on 127.0.0.1:$MY_PORT"
mkdir -p "$DEMO/mysql"
chown mysql:mysql "$DEMO/mysql"
mariadb-install-db --no-defaults --user=mysql --datadir="$DEMO/mysql/data" \
	--auth-root-authentication-method=normal --skip-test-db >/dev/null
mariadbd --no-defaults --user=mysql --datadir="$DEMO/mysql/data" \
	--socket="$DEMO/mysql/mysql.sock" --port="$MY_PORT" --bind-address=127.0.0.1 \
	--log-bin="$DEMO/mysql/data/binlog" --binlog-format=ROW \
	--binlog-row-image=FULL --binlog-row-metadata=FULL --server-id=1 \
	--log-error="$DEMO/mysql/error.log" &
MYSQL_PID=$!
for _ in $(seq 1 120); do
	mariadb-admin --no-defaults --socket="$DEMO/mysql/mysql.sock" ping >/dev/null 2>&1 && break
	sleep 0.5
done
mysql_root() { mariadb --no-defaults --default-character-set=utf8mb4 --socket="$DEMO/mysql/mysql.sock" -uroot "$@"; }
mysql_root -e "SELECT VERSION()" >/dev/null

echo "=== sample data: database 'shop' in MariaDB"
mysql_root <<SQL
DELETE FROM mysql.global_priv WHERE User = '';
FLUSH PRIVILEGES;
CREATE USER 'usr_replica'@'%' IDENTIFIED BY '$MY_PASSWORD';
GRANT SELECT, RELOAD, REPLICATION CLIENT, REPLICATION SLAVE ON *.* TO 'usr_replica'@'%';
CREATE DATABASE shop CHARACTER SET utf8mb4;
USE shop;
CREATE TABLE customer (
	customer_id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
	name varchar(100) NOT NULL,
	email varchar(200) UNIQUE,
	vip tinyint(1) NOT NULL DEFAULT 0,
	created timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB;
CREATE TABLE orders (
	order_id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
	customer_id int unsigned NOT NULL,
	status enum('new','paid','shipped') NOT NULL DEFAULT 'new',
	amount decimal(12,2) NOT NULL,
	note text,
	KEY (customer_id),
	CONSTRAINT fk_customer FOREIGN KEY (customer_id) REFERENCES customer (customer_id)
) ENGINE=InnoDB;
INSERT INTO customer (name, email, vip) VALUES
	('Ada Lovelace', 'ada@example.org', 1),
	('Grace Hopper', 'grace@example.org', 0),
	('Edsger Dijkstra', NULL, 0),
	('Barbara Liskov', 'barbara@example.org', 1);
INSERT INTO orders (customer_id, status, amount, note) VALUES
	(1, 'paid', 120.50, 'first order'),
	(1, 'shipped', 99.99, NULL),
	(2, 'new', 15.00, 'gift 🎁'),
	(4, 'paid', 1234.56, NULL);
SQL
mysql_root -e "SELECT 'customer' AS tbl, count(*) AS n FROM shop.customer UNION ALL SELECT 'orders', count(*) FROM shop.orders"

echo "=== PostgreSQL 15 on 127.0.0.1:$PG_PORT with chameleon preloaded"
mkdir -p "$DEMO/pg"
chown postgres "$DEMO/pg"
runuser -u postgres -- initdb -D "$DEMO/pg" --auth=trust >/dev/null
cat >>"$DEMO/pg/postgresql.conf" <<CONF
port = $PG_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DEMO/pg'
shared_preload_libraries = 'chameleon'
chameleon.database = 'postgres'
CONF
runuser -u postgres -- pg_ctl -D "$DEMO/pg" -l "$DEMO/pg/server.log" -w start >/dev/null
PG_STARTED=1
psql_pg() { runuser -u postgres -- psql -X -h "$DEMO/pg" -p "$PG_PORT" -d postgres "$@"; }

echo "=== configure the source from psql"
psql_pg -v ON_ERROR_STOP=1 -v my_port="$MY_PORT" -v my_password="$MY_PASSWORD" <<'SQL'
CREATE EXTENSION chameleon;
SELECT chameleon.add_source('shop', format($cfg$
db_conn:
  host: 127.0.0.1
  port: %s
  user: usr_replica
  password: %s
schema_mappings:
  shop: shop
type_override:
  "tinyint(1)":
    override_to: boolean
    override_tables: ["*"]
$cfg$, :'my_port', :'my_password'));
SELECT source_name, source_type, status, jsonb_pretty(config) AS config FROM chameleon.sources;
SQL

echo "=== initial copy: chameleon.init_replica('shop', wait => true)"
psql_pg -v ON_ERROR_STOP=1 <<'SQL'
SELECT chameleon.init_replica('shop', wait => true);
SELECT source_name, schema_name, table_name, state, rows_copied, finished - started AS took
  FROM chameleon.init_progress ORDER BY table_name;
SELECT source_table, schema_name, table_name, identity, key_columns, enabled
  FROM chameleon.replica_tables ORDER BY source_table;
\x on
SELECT * FROM chameleon.show_status;
\x off
\echo '--- the replicated rows in PostgreSQL'
TABLE shop.customer ORDER BY customer_id;
TABLE shop.orders ORDER BY order_id;
\d shop.orders
SQL

echo "=== live replication: chameleon.start_replica('shop'), then changes in MariaDB"
psql_pg -v ON_ERROR_STOP=1 -c "SELECT chameleon.start_replica('shop')"
mysql_root shop <<'SQL'
START TRANSACTION;
INSERT INTO customer (name, email) VALUES ('Alan Turing', 'alan@example.org');
INSERT INTO orders (customer_id, status, amount, note) VALUES (LAST_INSERT_ID(), 'new', 42.00, 'live');
COMMIT;
UPDATE orders SET status = 'shipped' WHERE order_id = 1;
DELETE FROM orders WHERE order_id = 2;
SQL
psql_pg -v ON_ERROR_STOP=1 <<'SQL'
SELECT chameleon.wait_caught_up('shop', '60 s') AS caught_up;
\x on
SELECT * FROM chameleon.show_status;
\x off
SELECT pid, backend_type FROM pg_stat_activity WHERE backend_type LIKE 'chameleon%' ORDER BY backend_type;
\echo '--- the replicated rows after the live changes'
TABLE shop.customer ORDER BY customer_id;
TABLE shop.orders ORDER BY order_id;
SELECT chameleon.stop_replica('shop');
SQL

if [ -n "${DEMO_KEEP:-}" ]; then
	echo "=== servers left running (DEMO_KEEP): $DEMO"
	echo "psql: runuser -u postgres -- psql -h $DEMO/pg -p $PG_PORT postgres"
	echo "mariadb: mariadb --no-defaults --socket=$DEMO/mysql/mysql.sock -uroot"
fi
echo "=== demo done"
