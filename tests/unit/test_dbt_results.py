"""A dbt step's failure names each failed node with dbt's message, from `run_results.json`."""

from orchestration.lib.warehouse.dbt_results import failed_nodes


def test_each_failed_node_is_named_by_kind_and_name_with_dbts_message_and_the_skipped_ones_are_left_out():
    run_results = {
        "results": [
            {"unique_id": "model.lifecycle.int_orders_converted", "status": "success", "message": "OK"},
            {
                "unique_id": "test.lifecycle.primary_key_customers_customer_id.7df5736fcb",
                "status": "fail",
                "message": "Got 2 results, configured to fail if != 0",
            },
            {
                "unique_id": "model.lifecycle.customers",
                "status": "error",
                "message": 'Binder Error: Referenced column "x" not found\n\nLINE 12:     select x\n',
            },
            {"unique_id": "model.lifecycle.ltv_cac", "status": "skipped", "message": None},
            {"unique_id": "test.lifecycle.not_null_columns_customers.abc", "status": "pass", "message": None},
        ]
    }
    assert failed_nodes(run_results) == [
        "test primary_key_customers_customer_id: Got 2 results, configured to fail if != 0",
        'model customers: Binder Error: Referenced column "x" not found\n  LINE 12:     select x',
    ]


def test_a_build_with_nothing_failed_has_no_failed_nodes():
    assert failed_nodes({"results": [{"unique_id": "model.lifecycle.customers", "status": "success"}]}) == []
