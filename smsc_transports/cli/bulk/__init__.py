"""``smsc bulk FILE.csv``: resumable sends of a whole CSV file.

Rule: like the rest of the CLI, it sends only through the public ``Transport``
interface. ``run`` drives the send and decides each row's fate; ``csv_rows`` reads and
checks the input; ``journal`` records every row before and after it is handed over, so
a rerun resumes without sending twice; ``dry_run`` prices the file without sending.
"""

from smsc_transports.cli.bulk.run import add_bulk_parser, bulk_command

__all__ = ["add_bulk_parser", "bulk_command"]
