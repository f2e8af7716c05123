/// The answer to `GET /v1/jobs/{job}/diagnosis`: findings and the facts they come from.
public struct JobDiagnosis: Sendable {
    public var job: String
    public var findings: [OutputDiagnosis.Finding]
    public var partitions: [OutputDiagnosis.PartitionFacts]
    /// The newest windows the findings looked at (their rows are not part of the diagnosis).
    public var answer: RollupAnswer
    public init(job: String, findings: [OutputDiagnosis.Finding], partitions: [OutputDiagnosis.PartitionFacts], answer: RollupAnswer) {
        self.job = job; self.findings = findings; self.partitions = partitions; self.answer = answer
    }
}

extension WindowSpec {
    /// The length of one window (sessions: the gap; cumulate: the largest window).
    public var lengthMilliseconds: Int64 {
        switch self {
        case .tumbling(let size), .hopping(let size, _): return size
        case .session(let gap): return gap
        case .cumulate(_, let maxSize): return maxSize
        }
    }
}
