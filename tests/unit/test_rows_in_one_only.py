"""tools.fingerprint.rows_in_one_only: the row-for-row comparison the bench's reference check and the
equality tests share."""

import duckdb

from tools.fingerprint import rows_in_one_only


def test_rows_are_counted_on_both_sides_with_repeats_and_doubles_to_nine_places():
    with duckdb.connect() as connection:
        connection.execute(
            "CREATE TABLE one AS SELECT * FROM (VALUES ('a', 1.0), ('a', 1.0), ('b', 2.0000000001)) t(k, v)"
        )
        connection.execute("CREATE TABLE other AS SELECT * FROM (VALUES ('a', 1.0), ('b', 2.0), ('c', 3.0)) t(k, v)")
        columns = [("k", "VARCHAR"), ("v", "DOUBLE")]
        # one only: the second ('a', 1.0); other only: ('c', 3.0); 2.0000000001 is 2.0 to nine places
        assert rows_in_one_only(connection, "one", "other", columns) == 2
        # compared on the key alone, the same: the repeated 'a' and the 'c'
        assert rows_in_one_only(connection, "one", "other", [("k", "VARCHAR")]) == 2
        assert rows_in_one_only(connection, "one", "one", columns) == 0
