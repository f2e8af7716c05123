import Foundation
import Testing
import WeirTestSupport
@testable import WeirStore

@Suite struct LMDBEnvironmentTests {
    func freshDir() -> String {
        TestScratch.directory("weir-lmdb")
    }

    @Test func committedWritesSurviveReopening() throws {
        let dir = freshDir()
        do {
            let env = try LMDBEnvironment(path: dir)
            try env.write { txn in
                try txn.put(Array("a".utf8), [1, 2, 3])
                try txn.put(Array("b".utf8), [4])
            }
            try env.write { txn in try txn.delete(Array("b".utf8)) }
        }
        let reopened = try LMDBEnvironment(path: dir)
        #expect(try reopened.get(Array("a".utf8)) == [1, 2, 3])
        #expect(try reopened.get(Array("b".utf8)) == nil)
    }

    @Test func aThrowingTransactionCommitsNothing() throws {
        struct Stop: Error {}
        let env = try LMDBEnvironment(path: freshDir())
        #expect(throws: Stop.self) {
            try env.write { txn in
                try txn.put(Array("k".utf8), [9])
                throw Stop()
            }
        }
        #expect(try env.get(Array("k".utf8)) == nil)
    }

    @Test func aFullMapIsAClearErrorAndLosesNothingCommitted() throws {
        var settings = LMDBEnvironment.Settings()
        settings.mapSizeBytes = 64 << 10
        let env = try LMDBEnvironment(path: freshDir(), settings: settings)
        try env.write { try $0.put(Array("kept".utf8), [7]) }
        var thrown: LMDBError?
        do {
            try env.write { txn in
                for i in 0..<1000 { try txn.put(Array("key-\(i)".utf8), [UInt8](repeating: 1, count: 1000)) }
            }
        } catch let e as LMDBError {
            thrown = e
        }
        #expect(thrown?.isMapFull == true)
        #expect(thrown?.description.contains("map is full") == true)
        #expect(try env.get(Array("kept".utf8)) == [7])
        #expect(try env.get(Array("key-0".utf8)) == nil)
    }

    @Test func openingAMissingDirectoryNamesIt() {
        #expect { _ = try LMDBEnvironment(path: "/nonexistent/weir") } throws: { "\($0)".contains("env_open /nonexistent/weir") }
    }
}
