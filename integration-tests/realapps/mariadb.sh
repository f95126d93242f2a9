# mariadb: the server started as Debian's packaging would, InnoDB tables
# written, read, updated in a transaction and checked, with native AIO
# (io_setup/io_submit; mariadb falls back to synchronous I/O without it,
# so innodb_use_native_aio shows which one ran).
set -eu
mkdir -p /run/mysqld && chown mysql /run/mysqld
mysqld --user=mysql --bind-address=127.0.0.1 >/tmp/mysqld.log 2>&1 &
for i in $(seq 150); do mysqladmin ping >/dev/null 2>&1 && break; sleep 0.2; done
mysql -N <<'SQL'
create database d;
use d;
create table t (x int primary key, y varchar(200)) engine=innodb;
insert into t select seq, repeat(char(97 + seq % 26), 100) from seq_1_to_20000;
start transaction;
update t set y = 'changed' where x % 1000 = 0;
commit;
select count(*), sum(x), sum(y = 'changed') from t;
check table t;
show variables like 'innodb_use_native_aio';
SQL
mysqladmin shutdown
wait
echo "mariadb stopped"
