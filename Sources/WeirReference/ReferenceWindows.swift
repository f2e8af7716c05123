import WeirCore

/// Window membership by brute force: try every candidate start.
enum ReferenceWindows {
    static func containing(_ t: Int64, _ spec: WindowSpec) -> [Window] {
        switch spec {
        case .tumbling(let size):
            return containing(t, size: size, slide: size)
        case .hopping(let size, let slide):
            return containing(t, size: size, slide: slide)
        case .cumulate(let step, let maxSize):
            var base = (t / maxSize) * maxSize
            if base > t { base -= maxSize }
            var result: [Window] = []
            var k: Int64 = 1
            while k * step <= maxSize {
                let w = Window(start: base, end: base + k * step)
                if w.contains(t) { result.append(w) }
                k += 1
            }
            return result
        case .session:
            preconditionFailure("sessions are not enumerable")
        }
    }

    /// Windows `[k·slide, k·slide + size)` containing t: k from ⌊(t − size)/slide⌋ to ⌊t/slide⌋ + 1.
    static func containing(_ t: Int64, size: Int64, slide: Int64) -> [Window] {
        var k = (t - size) / slide - 2
        var result: [Window] = []
        while k * slide <= t + slide {
            let w = Window(start: k * slide, end: k * slide + size)
            if w.contains(t) { result.append(w) }
            k += 1
        }
        return result
    }
}
