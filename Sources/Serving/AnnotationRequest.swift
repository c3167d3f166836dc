import Foundation
import Pipeline
import Text

/// One `POST /annotate` request, decoded and checked: the texts and how to annotate them.
public struct AnnotationRequest: Sendable, Equatable {
    /// The texts; one for `{"text": ...}` and `text/plain`, several for `{"texts": [...]}`.
    public var texts: [String]
    /// Whether the answer is `{"documents": [...]}` (the request gave `"texts"`) rather
    /// than one document.
    public var isList: Bool
    /// What the request runs, how and with which offsets.
    public var options: AnnotationOptions
}

/// How a request is annotated; requests with equal options share a batch's forward pass.
public struct AnnotationOptions: Hashable, Sendable {
    /// The components to run, in the pipeline's order.
    public var components: [PipelineComponent]
    /// Whether each text is running text split into sentences (`true`, the default) or one
    /// sentence.
    public var splitSentences: Bool
    /// How offsets in the answer are counted (default `utf16`, as `tagger annotate`).
    public var offsets: OffsetUnit

    /// Options of the given values.
    public init(
        components: [PipelineComponent], splitSentences: Bool = true, offsets: OffsetUnit = .utf16
    ) {
        self.components = components
        self.splitSentences = splitSentences
        self.offsets = offsets
    }
}

/// A request the service refuses, with the HTTP status it answers and a message saying what
/// is wrong.
public enum RequestError: LocalizedError, Equatable, Sendable {
    /// The body is longer than the limit (413).
    case bodyTooLarge(limit: Int)
    /// The body is not UTF-8 (400).
    case invalidUTF8(offset: Int)
    /// The body is not JSON (400).
    case malformedJSON(String)
    /// A field is missing, unknown or of the wrong type, or holds a value not allowed (400).
    case invalidField(String)
    /// A component the service does not know, or has not loaded (400).
    case unknownComponent(name: String, loaded: [PipelineComponent])
    /// Too many requests in flight (503).
    case overloaded(limit: Int)
    /// A known path asked with a method it does not answer (405).
    case methodNotAllowed(method: String, path: String, allowed: String)

    /// The HTTP status code.
    public var status: Int {
        switch self {
        case .bodyTooLarge: return 413
        case .overloaded: return 503
        case .methodNotAllowed: return 405
        default: return 400
        }
    }

    /// A one-line message for the client.
    public var errorDescription: String? {
        switch self {
        case .bodyTooLarge(let limit):
            return "the request body is larger than the limit of \(limit) bytes"
        case .invalidUTF8(let offset):
            return "the request body is not valid UTF-8: invalid byte at offset \(offset)"
        case .malformedJSON(let detail):
            return "the request body is not valid JSON: \(detail)"
        case .invalidField(let message):
            return message
        case .unknownComponent(let name, let loaded):
            let names = loaded.map(\.rawValue).joined(separator: ", ")
            return PipelineComponent(rawValue: name) == nil
                ? "unknown component \(JSONText.quoted(name)); this server runs \(names)"
                : "component \(JSONText.quoted(name)) is not loaded; this server runs \(names)"
        case .overloaded(let limit):
            return "too many requests in flight (limit \(limit)); retry shortly"
        case .methodNotAllowed(let method, let path, let allowed):
            return "\(path) does not answer \(method); it answers \(allowed)"
        }
    }

    /// The JSON body of the error answer: `{"error": "message"}`.
    public var json: String { "{\"error\":" + JSONText.quoted(errorDescription ?? "") + "}" }
}

/// Decodes `POST /annotate` bodies into ``AnnotationRequest``s.
public struct RequestDecoder: Sendable {
    /// The components the service has loaded (the default of a request).
    public var loaded: [PipelineComponent]
    /// The most texts one request may hold.
    public var maxTexts: Int

    /// A decoder for a service running `loaded`.
    public init(loaded: [PipelineComponent], maxTexts: Int = 1024) {
        self.loaded = loaded
        self.maxTexts = maxTexts
    }

    /// The fields a JSON body may have.
    static let fields = ["text", "texts", "components", "splitSentences", "offsets"]

    /// Decodes a body: JSON when `contentType` is `application/json` (or `…+json`), else
    /// plain text, whose options come from the query (`components=pos,ner`,
    /// `splitSentences=false`, `offsets=utf8`).
    /// - Throws: ``RequestError``.
    public func decode(body: [UInt8], contentType: String?, query: [String: String] = [:])
        throws(RequestError) -> AnnotationRequest
    {
        if let (offset, _) = UTF8Validation.firstDefect(in: body) {
            throw .invalidUTF8(offset: offset)
        }
        let mediaType =
            contentType?.split(separator: ";").first?
            .trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        if mediaType == "application/json" || mediaType.hasSuffix("+json") {
            return try decodeJSON(body)
        }
        for key in query.keys where !Self.fields.contains(key) || key.hasPrefix("text") {
            throw .invalidField(
                "unknown query parameter \(JSONText.quoted(key)); expected components, splitSentences or offsets"
            )
        }
        let components = try query["components"].map { value throws(RequestError) in
            try self.components(
                value.split(separator: ",", omittingEmptySubsequences: false).map(String.init))
        }
        var split = true
        if let value = query["splitSentences"] {
            guard let flag = Bool(value) else {
                throw .invalidField(
                    "the query parameter splitSentences is \(JSONText.quoted(value)), not true or false"
                )
            }
            split = flag
        }
        let offsets = try query["offsets"].map { value throws(RequestError) in try offsetUnit(value)
        }
        return AnnotationRequest(
            texts: [String(decoding: body, as: UTF8.self)], isList: false,
            options: AnnotationOptions(
                components: components ?? loaded, splitSentences: split, offsets: offsets ?? .utf16)
        )
    }

    private func decodeJSON(_ body: [UInt8]) throws(RequestError) -> AnnotationRequest {
        let fields: RequestFields
        do {
            fields = try JSONDecoder().decode(RequestFields.self, from: Data(body))
        } catch let error as RequestError {
            throw error
        } catch let error as DecodingError {
            throw Self.describe(error)
        } catch {
            throw .malformedJSON("\(error)")
        }
        var texts: [String]
        switch (fields.text, fields.texts) {
        case (let text?, nil): texts = [text]
        case (nil, let many?): texts = many
        case (nil, nil):
            throw .invalidField(
                "the body has neither \"text\" (a string) nor \"texts\" (an array of strings)")
        case (_?, _?): throw .invalidField("give \"text\" or \"texts\", not both")
        }
        if texts.count > maxTexts {
            throw .invalidField("\"texts\" holds \(texts.count) texts; the limit is \(maxTexts)")
        }
        if fields.texts == nil { texts = [texts[0]] }
        return AnnotationRequest(
            texts: texts, isList: fields.texts != nil,
            options: AnnotationOptions(
                components: try fields.components.map { names throws(RequestError) in
                    try components(names)
                } ?? loaded,
                splitSentences: fields.splitSentences ?? true,
                offsets: try fields.offsets.map { value throws(RequestError) in
                    try offsetUnit(value)
                } ?? .utf16))
    }

    /// The components named, in the pipeline's order.
    func components(_ names: [String]) throws(RequestError) -> [PipelineComponent] {
        var chosen = Set<PipelineComponent>()
        for name in names {
            guard let component = PipelineComponent(rawValue: name), loaded.contains(component)
            else {
                throw .unknownComponent(name: name, loaded: loaded)
            }
            chosen.insert(component)
        }
        if chosen.isEmpty {
            throw .invalidField("\"components\" is empty; name at least one component")
        }
        return loaded.filter(chosen.contains)
    }

    func offsetUnit(_ value: String) throws(RequestError) -> OffsetUnit {
        guard let unit = OffsetUnit(rawValue: value) else {
            throw .invalidField(
                "\"offsets\" is \(JSONText.quoted(value)); it must be utf16, scalars or utf8")
        }
        return unit
    }

    /// A decoding error as a message naming the field and what it should be.
    static func describe(_ error: DecodingError) -> RequestError {
        func path(_ context: DecodingError.Context) -> String {
            var text = ""
            for key in context.codingPath {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += (text.isEmpty ? "" : ".") + key.stringValue
                }
            }
            return JSONText.quoted(text)
        }
        func name(_ type: Any.Type) -> String {
            switch type {
            case is String.Type: return "a string"
            case is Bool.Type: return "true or false"
            case is [String].Type: return "an array of strings"
            default: return "\(type)"
            }
        }
        switch error {
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty {
                return .invalidField("the body must be a JSON object with \"text\" or \"texts\"")
            }
            return .invalidField("\(path(context)) must be \(name(type))")
        case .valueNotFound(let type, let context):
            return .invalidField("\(path(context)) is null; it must be \(name(type))")
        case .keyNotFound(let key, _):
            return .invalidField("the field \(JSONText.quoted(key.stringValue)) is missing")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                let detail =
                    (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey]
                    as? String ?? context.debugDescription
                return .malformedJSON(detail)
            }
            return .invalidField("\(path(context)) holds a value that is not allowed")
        @unknown default:
            return .malformedJSON("\(error)")
        }
    }
}

/// The fields of a JSON body, every one optional; an unknown field is refused.
struct RequestFields: Decodable {
    var text: String?
    var texts: [String]?
    var components: [String]?
    var splitSentences: Bool?
    var offsets: String?

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        for key in container.allKeys where !RequestDecoder.fields.contains(key.stringValue) {
            throw RequestError.invalidField(
                "unknown field \(JSONText.quoted(key.stringValue)); expected "
                    + RequestDecoder.fields.joined(separator: ", "))
        }
        text = try container.decodeIfPresent(String.self, forKey: Key(stringValue: "text"))
        texts = try container.decodeIfPresent([String].self, forKey: Key(stringValue: "texts"))
        components = try container.decodeIfPresent(
            [String].self, forKey: Key(stringValue: "components"))
        splitSentences = try container.decodeIfPresent(
            Bool.self, forKey: Key(stringValue: "splitSentences"))
        offsets = try container.decodeIfPresent(String.self, forKey: Key(stringValue: "offsets"))
    }
}
