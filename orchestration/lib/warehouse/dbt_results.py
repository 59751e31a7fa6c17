"""What a dbt invocation's `run_results.json` says went wrong: each failed node with dbt's message about it."""

FAILED = ("error", "fail")  # a node that raised, a test whose rows broke its rule; "skipped" follows from them


def failed_nodes(run_results: dict) -> list[str]:
    """Each failed node, its kind and name first ("test primary_key_customers_customer_id: Got 2 results, ..."); a
    message of several lines (a database error's context) keeps them, indented."""
    nodes = []
    for result in run_results.get("results", []):
        if result.get("status") not in FAILED:
            continue
        kind, _, name = result["unique_id"].split(".")[:3]
        message = [line.rstrip() for line in (result.get("message") or result["status"]).strip().splitlines()]
        nodes.append("\n  ".join([f"{kind} {name}: {message[0]}", *(line for line in message[1:] if line)]))
    return nodes
