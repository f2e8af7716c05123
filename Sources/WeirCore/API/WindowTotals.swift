/// Totals of a window's rows over all its groups, for the columns where adding groups up means
/// something: counts and sums (the events or bytes of the whole window). Other columns (min, avg,
/// quantiles, distinct counts, top-n) do not add up across groups and get nil.
public enum WindowTotals {
    /// For each output column of `spec` (aggregate columns, in order): the total, or nil.
    public static func totals(_ rows: [RollupRow], spec: JobSpec) -> [Cell?] {
        var out: [Cell?] = []
        var column = 0
        for aggregate in spec.aggregates {
            let width = aggregate.outputColumns.count
            switch aggregate.function {
            case .count, .sum:
                out.append(total(rows, column: column))
            default:
                out += Array(repeating: nil, count: width)
            }
            column += width
        }
        return out
    }

    /// The exact sum of the rows' integer or decimal cells in `column` (nulls skipped); nil on
    /// overflow or mixed kinds. Read in place: no array of the column's cells per total.
    static func total(_ rows: [RollupRow], column: Int) -> Cell? {
        var integer: Int64 = 0
        var decimal = Decimal9.zero
        var sawDecimal = false
        for i in rows.indices {
            switch rows[i].cells[column] {
            case .null: continue
            case .integer(let i):
                let (sum, overflow) = integer.addingReportingOverflow(i)
                if overflow { return nil }
                integer = sum
            case .decimal(let d):
                guard let sum = decimal.adding(d) else { return nil }
                decimal = sum
                sawDecimal = true
            default:
                return nil
            }
        }
        guard sawDecimal else { return .integer(integer) }
        return Decimal9(integer: integer).adding(decimal).map(Cell.decimal)
    }
}
