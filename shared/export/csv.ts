/**
 * The export's CSV dialect, in one place for the API and the CLI: RFC 4180 (CRLF record
 * ends, fields quoted when they hold a comma, a quote or a line break, quotes doubled), a
 * header row of {@link EXPORT_COLUMN_NAMES}, and an empty cell for a missing value.
 */
import { type Stringifier, stringify } from "csv-stringify";
import { EXPORT_COLUMN_NAMES } from "./columns.ts";

export const CSV_CONTENT_TYPE = "text/csv; charset=utf-8; header=present";

/**
 * A transform stream: write rows made by `exportRow` (object mode), read CSV text.
 * `header: false` leaves out the header row (a CLI appending to a file that already has one).
 */
export function csvStringifier(options: { header?: boolean } = {}): Stringifier {
  return stringify({
    header: options.header ?? true,
    columns: EXPORT_COLUMN_NAMES as string[],
    record_delimiter: "windows",
    // An empty string is `""`, a missing value (null) an empty cell: the two stay apart.
    quoted_match: /^$/,
  });
}
