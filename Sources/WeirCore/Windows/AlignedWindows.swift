/// Tumbling, hopping and cumulating windows, described through panes.
///
/// A pane is the largest interval that every window either fully contains or does not touch:
/// the size for tumbling windows, gcd(size, slide) for hopping windows and the step for
/// cumulating ones. The engine adds each event to exactly one pane and builds a window by
/// merging its panes when the window becomes final, so an event costs one update however many
/// windows it belongs to (the "slicing" of Flink's window TVFs).
public struct AlignedWindows: Sendable, Equatable {
    public enum Shape: Sendable, Equatable {
        case tumbling(size: Int64)
        case hopping(size: Int64, slide: Int64)
        case cumulate(step: Int64, maxSize: Int64)
    }

    public let shape: Shape
    /// Length of a pane in milliseconds.
    public let paneSize: Int64

    /// Nil for session windows, which are not aligned.
    public init?(_ spec: WindowSpec) {
        switch spec {
        case .tumbling(let size):
            shape = .tumbling(size: size); paneSize = size
        case .hopping(let size, let slide):
            shape = .hopping(size: size, slide: slide); paneSize = gcd(size, slide)
        case .cumulate(let step, let maxSize):
            shape = .cumulate(step: step, maxSize: maxSize); paneSize = step
        case .session:
            return nil
        }
    }

    /// Start of the pane holding time `t`.
    @inlinable public func paneStart(_ t: Int64) -> Int64 { floorDiv(t, paneSize) * paneSize }

    /// Calls `body` for each window containing time `t`, in increasing order of end.
    @inlinable
    public func forEachWindow(containing t: Int64, _ body: (Window) -> Void) {
        switch shape {
        case .tumbling(let size):
            let s = floorDiv(t, size) * size
            body(Window(start: s, end: s + size))
        case .hopping(let size, let slide):
            // Starts are multiples of slide in (t - size, t]; smallest start has the smallest end.
            var s = floorDiv(t - size, slide) * slide + slide
            while s <= t {
                body(Window(start: s, end: s + size))
                s += slide
            }
        case .cumulate(let step, let maxSize):
            let base = floorDiv(t, maxSize) * maxSize
            var end = base + (floorDiv(t - base, step) + 1) * step
            while end <= base + maxSize {
                body(Window(start: base, end: end))
                end += step
            }
        }
    }

    /// The largest end among windows containing time `t` (when the last of them becomes final).
    @inlinable
    public func lastEnd(containing t: Int64) -> Int64 {
        switch shape {
        case .tumbling(let size): return floorDiv(t, size) * size + size
        case .hopping(let size, let slide): return floorDiv(t, slide) * slide + size
        case .cumulate(_, let maxSize): return floorDiv(t, maxSize) * maxSize + maxSize
        }
    }

    /// The smallest end among windows containing time `t` (when the first of them becomes final).
    @inlinable
    public func firstEnd(containing t: Int64) -> Int64 {
        switch shape {
        case .tumbling(let size): return floorDiv(t, size) * size + size
        case .hopping(let size, let slide): return floorDiv(t - size, slide) * slide + slide + size
        case .cumulate(let step, let maxSize):
            let base = floorDiv(t, maxSize) * maxSize
            return base + (floorDiv(t - base, step) + 1) * step
        }
    }
}
