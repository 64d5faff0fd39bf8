/// Application payloads that dissectors read as well-formed: HTTP/1.1 with Content-Length, MySQL
/// packets, DNS messages. Only sizes matter to Mimir; well-formed bytes keep tshark (and users) from
/// seeing a broken capture.
enum Payloads {
    static let filler = UInt8(ascii: "x")

    /// An HTTP request of about `size` bytes (at least its headers).
    static func httpRequest(host: String, path: String, size: Int) -> MessageStore.Message {
        let method = size > 600 ? "POST" : "GET"
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: mimir-sim\r\nAccept: */*\r\n"
        let bodyLength = max(0, size - head.utf8.count - 26)
        head += "Content-Length: \(bodyLength)\r\n\r\n"
        return MessageStore.Message(prefix: Array(head.utf8), bodyLength: bodyLength, suffix: [], fill: filler, segmentsLeft: 0)
    }

    static func httpResponse(size: Int) -> MessageStore.Message {
        var head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
        let bodyLength = max(0, size - head.utf8.count - 26)
        head += "Content-Length: \(bodyLength)\r\n\r\n"
        return MessageStore.Message(prefix: Array(head.utf8), bodyLength: bodyLength, suffix: [], fill: filler, segmentsLeft: 0)
    }

    /// Bytes with no framing. The filler is chosen so that no dissector tshark registers on the
    /// applications' ports (IPA on 5000, Gryphon on 7000, MongoDB, AMQP, Redis...) takes it for a broken
    /// message of its own protocol.
    static func opaque(size: Int) -> MessageStore.Message {
        MessageStore.Message(prefix: [], bodyLength: max(1, size), suffix: [], fill: filler, segmentsLeft: 0)
    }

    // MySQL client/server protocol: packets of a 3-byte little-endian length, a sequence number and
    // the payload.
    private static func mysqlPacket(_ sequence: UInt8, _ payload: [UInt8]) -> [UInt8] {
        let n = payload.count
        return [UInt8(n & 0xFF), UInt8((n >> 8) & 0xFF), UInt8((n >> 16) & 0xFF), sequence] + payload
    }

    private static func lengthEncoded(_ value: Int) -> [UInt8] {
        if value < 251 { return [UInt8(value)] }
        if value < 1 << 16 { return [0xFC, UInt8(value & 0xFF), UInt8(value >> 8)] }
        return [0xFD, UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF)]
    }

    private static func lengthEncodedString(_ text: String) -> [UInt8] {
        lengthEncoded(text.utf8.count) + Array(text.utf8)
    }

    /// The server's greeting (protocol 10) on a new connection.
    static func mysqlGreeting(connectionID: UInt32) -> MessageStore.Message {
        var payload: [UInt8] = [10] + Array("8.0.36-28.1".utf8) + [0]
        payload += withUnsafeBytes(of: connectionID.littleEndian, Array.init)
        payload += Array("abcdefgh".utf8) + [0]  // auth-plugin-data part 1, filler
        payload += [0xDF, 0xF7]  // capabilities, lower (PROTOCOL_41, SECURE_CONNECTION; no COMPRESS, no SSL)
        payload += [0xFF, 0x02, 0x00]  // character set, status flags
        payload += [0x0F, 0x80]  // capabilities, upper (PLUGIN_AUTH, MULTI_RESULTS; no DEPRECATE_EOF)
        payload += [21] + Array(repeating: 0, count: 10)
        payload += Array("ijklmnopqrst".utf8) + [0]
        payload += Array("mysql_native_password".utf8) + [0]
        return MessageStore.Message(prefix: mysqlPacket(0, payload), bodyLength: 0, suffix: [], fill: 0, segmentsLeft: 0)
    }

    /// The client's handshake response.
    static func mysqlLogin(user: String) -> MessageStore.Message {
        var payload: [UInt8] = [0x05, 0xA6, 0x0F, 0x00]  // capabilities: PROTOCOL_41, SECURE_CONNECTION, PLUGIN_AUTH, no database
        payload += [0x00, 0x00, 0x00, 0x01, 0x21] + Array(repeating: 0, count: 23)
        payload += Array(user.utf8) + [0]
        payload += [20] + Array(repeating: 0x5A, count: 20)
        payload += Array("mysql_native_password".utf8) + [0]
        return MessageStore.Message(prefix: mysqlPacket(1, payload), bodyLength: 0, suffix: [], fill: 0, segmentsLeft: 0)
    }

    /// The server's OK packet (sequence 2, after the login).
    static func mysqlLoginOK() -> MessageStore.Message {
        MessageStore.Message(prefix: mysqlPacket(2, [0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00]), bodyLength: 0, suffix: [],
                             fill: 0, segmentsLeft: 0)
    }

    /// COM_QUERY of about `size` bytes: a SELECT padded with a comment.
    static func mysqlQuery(size: Int) -> MessageStore.Message {
        let head: [UInt8] = [0x03] + Array("SELECT option_value FROM wp_options /*".utf8)
        let tail = Array("*/".utf8)
        let bodyLength = max(0, size - 4 - head.count - tail.count)
        let length = head.count + bodyLength + tail.count
        let header: [UInt8] = [UInt8(length & 0xFF), UInt8((length >> 8) & 0xFF), UInt8((length >> 16) & 0xFF), 0]
        return MessageStore.Message(prefix: header + head, bodyLength: bodyLength, suffix: tail, fill: 0x20, segmentsLeft: 0)
    }

    /// A result set of one text column and one row of about `size` bytes, ending with EOF packets.
    static func mysqlResult(size: Int) -> MessageStore.Message {
        let columnCount = mysqlPacket(1, [1])
        var definition: [UInt8] = lengthEncodedString("def") + lengthEncodedString("wordpress") + lengthEncodedString("wp_options")
        definition += lengthEncodedString("wp_options") + lengthEncodedString("option_value") + lengthEncodedString("option_value")
        definition += [0x0C, 0x21, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFC, 0x10, 0x00, 0x00, 0x00, 0x00]
        let eof: [UInt8] = [0xFE, 0x00, 0x00, 0x02, 0x00]
        var prefix = columnCount + mysqlPacket(2, definition) + mysqlPacket(3, eof)
        let overhead = prefix.count + 4 + 4 + 9
        let textLength = min(max(1, size - overhead), (1 << 24) - 8)
        let rowLength = lengthEncoded(textLength).count + textLength
        prefix += [UInt8(rowLength & 0xFF), UInt8((rowLength >> 8) & 0xFF), UInt8((rowLength >> 16) & 0xFF), 4]
        prefix += lengthEncoded(textLength)
        return MessageStore.Message(prefix: prefix, bodyLength: textLength, suffix: mysqlPacket(5, eof), fill: filler, segmentsLeft: 0)
    }

    /// A DNS query (RFC 1035) for `name`, type A (1) or AAAA (28), recursion desired.
    static func dnsQuery(id: UInt16, name: String, type: UInt16) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        bytes += encodedName(name)
        bytes += [UInt8(type >> 8), UInt8(type & 0xFF), 0, 1]
        return bytes
    }

    /// The answer to `dnsQuery`: `addresses` (4 or 16 bytes each) with `ttl`, or NXDOMAIN when `nameError`.
    static func dnsResponse(query: [UInt8], addresses: [[UInt8]], ttl: UInt32, nameError: Bool = false) -> [UInt8] {
        var bytes = query
        bytes[2] = 0x81  // response, recursion desired
        bytes[3] = nameError ? 0x83 : 0x80  // recursion available; rcode 3 = NXDOMAIN
        bytes[6] = 0
        bytes[7] = UInt8(addresses.count)
        let type = [query[query.count - 4], query[query.count - 3]]
        for address in addresses {
            bytes += [0xC0, 0x0C] + type + [0, 1]  // a pointer to the question's name
            bytes += withUnsafeBytes(of: ttl.bigEndian, Array.init)
            bytes += [0, UInt8(address.count)] + address
        }
        return bytes
    }

    static func encodedName(_ name: String) -> [UInt8] {
        var bytes: [UInt8] = []
        for label in name.split(separator: ".") {
            let utf8 = Array(label.utf8.prefix(63))
            bytes.append(UInt8(utf8.count))
            bytes += utf8
        }
        return bytes + [0]
    }
}
