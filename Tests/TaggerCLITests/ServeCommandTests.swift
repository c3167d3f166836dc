import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// `tagger serve` over real HTTP: every endpoint, every refusal, batching that gives the
/// same answers as one request at a time, and a graceful stop on SIGTERM.
final class ServeCommandTests: XCTestCase {
    /// A running `tagger serve`.
    final class Server {
        let process = Process()
        let port: Int
        let stderr = Pipe()

        init(_ arguments: [String]) throws {
            process.executableURL = TaggerCLITests.taggerURL
            process.arguments = ["serve", "--port", "0"] + arguments
            process.standardError = stderr
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            var seen = ""
            let deadline = Date(timeIntervalSinceNow: 60)
            while Date() < deadline {
                let data = stderr.fileHandleForReading.availableData
                if data.isEmpty { break }
                seen += String(decoding: data, as: UTF8.self)
                if let range = seen.range(
                    of: #"listening on http://127\.0\.0\.1:(\d+) "#, options: .regularExpression)
                {
                    let digits = seen[range].split(separator: ":").last!.prefix { $0.isNumber }
                    port = Int(digits)!
                    return
                }
            }
            process.terminate()
            throw NSError(
                domain: "serve", code: 1,
                userInfo: [NSLocalizedDescriptionKey: "no start line: \(seen)"])
        }

        var url: String { "http://127.0.0.1:\(port)" }

        /// Sends SIGTERM and waits for the exit status.
        func stop() -> Int32 {
            if process.isRunning { kill(process.processIdentifier, SIGTERM) }
            process.waitUntilExit()
            return process.terminationStatus
        }

        deinit { if process.isRunning { process.terminate() } }
    }

    /// One HTTP exchange through curl: status, headers and body.
    struct Reply {
        var status: Int
        var headers: String
        var body: String
    }

    static func curl(_ arguments: [String], input: Data? = nil) throws -> Reply {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let headerFile = FileManager.default.temporaryDirectory
            .appendingPathComponent("serve-headers-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: headerFile) }
        process.arguments =
            ["curl", "-s", "-D", headerFile.path, "-w", "\n%{http_code}"] + arguments
        let (stdin, stdout) = (Pipe(), Pipe())
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        if let input { stdin.fileHandleForWriting.write(input) }
        try stdin.fileHandleForWriting.close()
        let out = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let cut = out.range(of: "\n", options: .backwards)!
        return Reply(
            status: Int(out[cut.upperBound...]) ?? 0,
            headers: (try? String(contentsOf: headerFile, encoding: .utf8)) ?? "",
            body: String(out[..<cut.lowerBound]))
    }

    static func postJSON(_ server: Server, _ body: String) throws -> Reply {
        try curl(
            [
                "-H", "Content-Type: application/json", "--data-binary", "@-",
                server.url + "/annotate",
            ], input: Data(body.utf8))
    }

    /// A raw TCP connection, for requests curl cannot make (stalled, announced too long).
    final class Connection {
        let fd: Int32

        init(port: Int) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard result == 0 else { throw NSError(domain: "connect", code: Int(errno)) }
            var timeout = timeval(tv_sec: 20, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        func send(_ text: String) { _ = text.withCString { Glibc.send(fd, $0, strlen($0), 0) } }

        /// Everything until the server closes the connection (or 20 s pass).
        func readAll() -> String {
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = recv(fd, &chunk, chunk.count, 0)
                if n <= 0 { break }
                bytes += chunk[0..<n]
            }
            return String(decoding: bytes, as: UTF8.self)
        }

        /// The answer's status line and headers.
        func readHead() -> String {
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while !String(decoding: bytes, as: UTF8.self).contains("\r\n\r\n") {
                let n = recv(fd, &chunk, chunk.count, 0)
                if n <= 0 { break }
                bytes += chunk[0..<n]
            }
            return String(decoding: bytes, as: UTF8.self)
        }

        deinit { close(fd) }
    }

    static var shared: Server?

    override class func setUp() {
        super.setUp()
        shared = try? Server([])
    }

    override class func tearDown() {
        if let shared { XCTAssertEqual(shared.stop(), 0) }
        shared = nil
        super.tearDown()
    }

    func server() throws -> Server { try XCTUnwrap(Self.shared, "tagger serve did not start") }

    // MARK: Endpoints

    func testHealth() throws {
        let reply = try Self.curl([try server().url + "/health"])
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(reply.body, #"{"status":"ok"}"#)
    }

    func testModelsListsEachModelWithLabelsAndChecksum() throws {
        let reply = try Self.curl([try server().url + "/models"])
        XCTAssertEqual(reply.status, 200)
        let object = try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as! [String: Any]
        let models = object["models"] as! [[String: Any]]
        XCTAssertEqual(
            models.map { $0["task"] as! String }, ["pos", "ner", "sentiment", "sentences"])
        XCTAssertEqual(
            models.map { $0["name"] as! String },
            ["pos-en", "ner-en", "sentiment-en", "sentence-en"])
        XCTAssertTrue((models[0]["labels"] as! [String]).contains("PROPN"))
        XCTAssertEqual(models[2]["labels"] as! [String], ["negative", "positive"])
        for model in models {
            XCTAssertTrue((model["checksum"] as! String).hasPrefix("xxh64:"))
            XCTAssertEqual((model["checksum"] as! String).count, 6 + 16)
            XCTAssertTrue(model["testScore"] is NSNull)
        }
    }

    func testAnnotateAnswersWhatTaggerAnnotateWrites() throws {
        let text = "Alice Smith moved to Paris in 2019. She loves the city!"
        let cli = try TaggerProcess.run(
            ["annotate", "--split-sentences"], input: Array((text + "\n").utf8))
        XCTAssertEqual(cli.status, 0)
        let reply = try Self.postJSON(try server(), #"{"text": "\#(text)"}"#)
        XCTAssertEqual(reply.status, 200)
        XCTAssertTrue(
            reply.headers.lowercased().contains("content-type: application/json"), reply.headers)
        XCTAssertEqual(reply.body + "\n", cli.stdout)
        // Without splitting, the text is one sentence, as `tagger annotate` reads a line.
        let line = try TaggerProcess.run(
            ["annotate", "--components", "pos,ner"], input: Array((text + "\n").utf8))
        let unsplit = try Self.postJSON(
            try server(),
            #"{"text": "\#(text)", "components": ["ner", "pos"], "splitSentences": false}"#)
        XCTAssertEqual(unsplit.body + "\n", line.stdout)
    }

    func testPlainTextBodyTakesItsOptionsFromTheQuery() throws {
        let text = "Tim Cook visited Berlin."
        let cli = try TaggerProcess.run(
            ["annotate", "--components", "ner", "--offsets", "utf8"],
            input: Array((text + "\n").utf8))
        let reply = try Self.curl(
            [
                "-H", "Content-Type: text/plain", "--data-binary", "@-",
                try server().url + "/annotate?components=ner&splitSentences=false&offsets=utf8",
            ],
            input: Data(text.utf8))
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(reply.body + "\n", cli.stdout)
    }

    func testTextsAnswersDocumentsInOrder() throws {
        let texts = ["Hello there.", "", "The film was a delight. I loved it."]
        let many = try Self.postJSON(
            try server(), #"{"texts": ["Hello there.", "", "The film was a delight. I loved it."]}"#
        )
        XCTAssertEqual(many.status, 200)
        var singles: [String] = []
        for text in texts {
            singles.append(try Self.postJSON(try server(), #"{"text": "\#(text)"}"#).body)
        }
        XCTAssertEqual(many.body, #"{"documents":["# + singles.joined(separator: ",") + "]}")
    }

    func testConcurrentRequestsGetTheSameAnswersAsOneAtATime() throws {
        let server = try server()
        let sentences = (0..<24).map { i in
            [
                "Alice Smith moved to Paris in \(2000 + i).",
                "The service was slow and the food was cold.",
                "Apple bought a small startup in Berlin for \(i) million dollars.", "Great movie!",
            ][i % 4]
                + String(repeating: " Really.", count: i % 3)
        }
        let sequential = try sentences.map {
            try Self.postJSON(server, #"{"text": "\#($0)"}"#).body
        }
        var concurrent = [String](repeating: "", count: sentences.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: sentences.count) { i in
            let body =
                (try? Self.postJSON(server, #"{"text": "\#(sentences[i])"}"#).body) ?? "failed"
            lock.lock()
            concurrent[i] = body
            lock.unlock()
        }
        for i in sentences.indices {
            // Byte for byte: a sentence's probabilities do not depend on its batch.
            XCTAssertEqual(concurrent[i], sequential[i], "request \(i)")
        }
        let metrics = try Self.curl([server.url + "/metrics"]).body
        XCTAssertTrue(metrics.contains("tagger_batch_requests_count"), metrics)
    }

    func testMetricsInPrometheusText() throws {
        let server = try server()
        _ = try Self.postJSON(server, #"{"text": "One two three."}"#)
        let reply = try Self.curl([server.url + "/metrics"])
        XCTAssertEqual(reply.status, 200)
        XCTAssertTrue(reply.headers.contains("text/plain; version=0.0.4"), reply.headers)
        for line in [
            #"tagger_http_requests_total{endpoint="/annotate",status="200"} "#,
            #"tagger_http_request_duration_seconds_bucket{le="+Inf"} "#,
            "tagger_words_annotated_total ",
            #"tagger_batch_requests_bucket{le="1.0"} "#, "tagger_queue_length ",
            "tagger_requests_in_flight ",
        ] {
            XCTAssertTrue(reply.body.contains(line), "no \(line) in\n\(reply.body)")
        }
    }

    // MARK: Refusals

    func assertRefused(
        _ body: String, status: Int = 400, _ message: String, file: StaticString = #filePath,
        line: UInt = #line
    ) throws {
        let reply = try Self.postJSON(try server(), body)
        XCTAssertEqual(reply.status, status, reply.body, file: file, line: line)
        XCTAssertEqual(reply.body, #"{"error":"# + message + "}", file: file, line: line)
    }

    func testMalformedJSONIs400() throws {
        let reply = try Self.postJSON(try server(), #"{"text": "#)
        XCTAssertEqual(reply.status, 400)
        XCTAssertTrue(
            reply.body.hasPrefix(#"{"error":"the request body is not valid JSON"#), reply.body)
    }

    func testWrongTypesAre400() throws {
        try assertRefused(#"{"text": 5}"#, #""\"text\" must be a string""#)
        try assertRefused(#"{"texts": ["a", 3]}"#, #""\"texts[1]\" must be a string""#)
        try assertRefused(
            #"{"text": "a", "splitSentences": 1}"#, #""\"splitSentences\" must be true or false""#)
        try assertRefused(#"[1]"#, #""the body must be a JSON object with \"text\" or \"texts\"""#)
        try assertRefused(
            #"{}"#,
            #""the body has neither \"text\" (a string) nor \"texts\" (an array of strings)""#)
        try assertRefused(
            #"{"txt": "a"}"#,
            #""unknown field \"txt\"; expected text, texts, components, splitSentences, offsets""#)
    }

    func testUnknownComponentIs400() throws {
        try assertRefused(
            #"{"text": "a", "components": ["pos", "parse"]}"#,
            #""unknown component \"parse\"; this server runs pos, ner, sentiment""#)
    }

    func testInvalidUTF8Is400NamingTheByteOffset() throws {
        let reply = try Self.curl(
            [
                "-H", "Content-Type: text/plain", "--data-binary", "@-",
                try server().url + "/annotate",
            ],
            input: Data(Array("héllo ".utf8) + [0xC3, 0x28]))
        XCTAssertEqual(reply.status, 400)
        XCTAssertEqual(
            reply.body,
            #"{"error":"the request body is not valid UTF-8: invalid byte at offset 7"}"#)
    }

    func testBodyOverTheLimitIs413BeforeItIsRead() throws {
        let server = try Server(["--components", "pos", "--max-body-bytes", "1000"])
        defer { XCTAssertEqual(server.stop(), 0) }
        let reply = try Self.curl(
            ["-H", "Content-Type: text/plain", "--data-binary", "@-", server.url + "/annotate"],
            input: Data(repeating: UInt8(ascii: "a"), count: 5000))
        XCTAssertEqual(reply.status, 413)
        XCTAssertEqual(
            reply.body, #"{"error":"the request body is larger than the limit of 1000 bytes"}"#)
        // A length announced beyond the limit is refused without sending any of the body.
        // The connection then closes: what the client still sends is not read.
        let connection = try Connection(port: server.port)
        connection.send("POST /annotate HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n")
        let start = Date()
        let answer = connection.readAll()  // returns when the server closes the connection
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 413"), answer)
        XCTAssertTrue(answer.lowercased().contains("connection: close"), answer)
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
        XCTAssertEqual(try Self.curl([server.url + "/health"]).status, 200)
    }

    func testWrongMethodIs405WithAllow() throws {
        let server = try server()
        for (method, path, allowed) in [
            ("GET", "/annotate", "POST"), ("DELETE", "/health", "GET"), ("PUT", "/models", "GET"),
            ("POST", "/metrics", "GET"), ("HEAD", "/health", "GET"),
        ] {
            // (curl's -I for HEAD: with -X HEAD it would wait for the body `Content-Length` announces.)
            let reply = try Self.curl(
                (method == "HEAD" ? ["-I"] : ["-X", method]) + [server.url + path])
            XCTAssertEqual(reply.status, 405, "\(method) \(path)")
            XCTAssertTrue(
                reply.headers.lowercased().contains("allow: \(allowed.lowercased())"),
                reply.headers)
            if method != "HEAD" {
                XCTAssertEqual(
                    reply.body,
                    #"{"error":"\#(path) does not answer \#(method); it answers \#(allowed)"}"#)
            }
        }
        XCTAssertEqual(try Self.curl([server.url + "/nowhere"]).status, 404)
    }

    func testTooManyInFlightIs503WithRetryAfter() throws {
        let server = try Server(["--components", "pos", "--max-in-flight", "1"])
        defer { XCTAssertEqual(server.stop(), 0) }
        // A request whose body has not all come holds the one place.
        let held = try Connection(port: server.port)
        held.send(
            "POST /annotate HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nHe"
        )
        Thread.sleep(forTimeInterval: 0.5)
        let reply = try Self.curl(["-d", "Hi", server.url + "/annotate"])
        XCTAssertEqual(reply.status, 503)
        XCTAssertTrue(reply.headers.lowercased().contains("retry-after: 1"), reply.headers)
        XCTAssertEqual(
            reply.body, #"{"error":"too many requests in flight (limit 1); retry shortly"}"#)
        held.send("llo")
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertEqual(try Self.curl(["-d", "Hi", server.url + "/annotate"]).status, 200)
    }

    func testStalledClientIsTimedOut() throws {
        let server = try Server(["--components", "pos", "--idle-timeout", "1"])
        defer { XCTAssertEqual(server.stop(), 0) }
        let connection = try Connection(port: server.port)
        connection.send("POST /annotate HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
        let start = Date()
        _ = connection.readAll()  // returns when the server closes the connection
        let waited = Date().timeIntervalSince(start)
        XCTAssertLessThan(waited, 10)
        XCTAssertGreaterThan(waited, 0.5)
        XCTAssertEqual(try Self.curl([server.url + "/health"]).status, 200)
    }

    // MARK: Lifecycle

    func testSIGTERMAnswersTheRequestsInFlightAndExits0() throws {
        let server = try Server(["--components", "pos"])
        let connection = try Connection(port: server.port)
        connection.send(
            "POST /annotate HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n\r\nHello"
        )
        Thread.sleep(forTimeInterval: 0.3)
        kill(server.process.processIdentifier, SIGTERM)
        Thread.sleep(forTimeInterval: 0.3)
        connection.send(" world.\n\n")
        let answer = connection.readAll()
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 200"), answer)
        XCTAssertTrue(answer.contains(#""text":"Hello world.\n\n""#), answer)
        XCTAssertEqual(server.stop(), 0)
        let log = String(
            decoding: server.stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(log.contains("tagger serve: stopped"), log)
    }

    func testBadOptionsAreRefused() throws {
        let result = try TaggerProcess.run(["serve", "--threads", "3"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("--threads is 3; it must be 1 or 2"), result.stderr)
    }
}
