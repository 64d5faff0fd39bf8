import Capture

/// A TCP connection or a UDP exchange between two endpoints, and where the capture sees it.
struct Connection {
    var views: [View]
    var tcp: Bool
    var mss: Int
    /// One-way latency and the gap between back-to-back segments, nanoseconds.
    var latency: Int64
    var segmentGap: Int64
    /// The next sequence number of each side.
    var clientSeq: UInt32
    var serverSeq: UInt32
    var clientIPID: UInt16
    var serverIPID: UInt16
    /// A side's delayed ACK that is scheduled but may still be replaced by data carrying the ACK:
    /// its time (or -1), and the token that the scheduled segment must match to be written.
    var clientAckAt: Int64 = -1
    var serverAckAt: Int64 = -1
    var clientAckToken: UInt32 = 0
    var serverAckToken: UInt32 = 0
    /// The earliest time each side may send its next data segment: sequence numbers grow with time.
    var clientFreeAt: Int64 = 0
    var serverFreeAt: Int64 = 0
    /// Reserved by a request until this time.
    var busyUntil: Int64 = 0
    var open = true
    var pending: Int32 = 0
    var clientPod: Int32
    var serverPod: Int32
    /// The service whose address the client connected to; -1 when it addressed the server itself.
    var service: Int32
    var pool: PoolKey?
}

/// Idle connections from one client to one service, reused for later requests.
struct PoolKey: Hashable {
    var client: Int32
    var service: Int32
}

/// One packet to write: which connection, which direction, TCP fields, and which bytes of which
/// message it carries.
struct Segment {
    var connection: Int32
    var forward: Bool
    var flags: UInt8
    var synOptions: Bool
    var seq: UInt32
    var ack: UInt32
    var message: Int32
    var offset: Int32
    var length: Int32
    /// Non-zero for a delayed ACK that data sent earlier may have made unnecessary.
    var token: UInt32
}

enum SimEvent {
    case segment(Segment)
    case userWake(Int32)
    case loadStep(Int32)
    case autoscale
    case podReady(Int32)
    case deletePod(Int32)
    case probe(Int32)
    case peers(Int32)
    case background(Int32)
    case metrics
    case sweep
    case attack(Int32)
}

extension Simulation {
    static let delayedAck: Int64 = 40_000_000
    static let window: UInt16 = 64_240

    func newConnection(views: [View], tcp: Bool, clientPod: Int, serverPod: Int, service: Int? = nil, latency: Int64) -> Int32 {
        let mss = views.contains { $0.tunnel != nil } ? 1410 : 1460
        // Segments leave at the link's pace (10 Gb/s), but no faster than the window allows per round trip.
        let gap = max(Int64(mss) * 8 / 10, 2 * latency * Int64(mss) / Int64(Self.window))
        let connection = Connection(views: views, tcp: tcp, mss: mss, latency: latency, segmentGap: gap,
                                    clientSeq: UInt32(truncatingIfNeeded: random.next()), serverSeq: UInt32(truncatingIfNeeded: random.next()),
                                    clientIPID: UInt16(truncatingIfNeeded: random.next()), serverIPID: UInt16(truncatingIfNeeded: random.next()),
                                    clientPod: Int32(clientPod), serverPod: Int32(serverPod), service: Int32(service ?? -1))
        if let slot = freeConnections.popLast() {
            connections[Int(slot)] = connection
            return slot
        }
        connections.append(connection)
        return Int32(connections.count - 1)
    }

    private func schedule(_ segment: Segment, at time: Int64) {
        connections[Int(segment.connection)].pending += 1
        queue.schedule(.segment(segment), at: time)
        touch(connection: segment.connection, at: time)
    }

    private func touch(connection id: Int32, at time: Int64) {
        let connection = connections[Int(id)]
        for pod in [connection.clientPod, connection.serverPod] where pod >= 0 && pods[Int(pod)].lastActivity < time {
            pods[Int(pod)].lastActivity = time
        }
    }

    private func control(_ id: Int32, forward: Bool, flags: UInt8, at time: Int64, syn: Bool = false, token: UInt32 = 0) {
        let c = connections[Int(id)]
        schedule(Segment(connection: id, forward: forward, flags: flags, synOptions: syn,
                         seq: forward ? c.clientSeq : c.serverSeq, ack: forward ? c.serverSeq : c.clientSeq,
                         message: -1, offset: 0, length: 0, token: token), at: time)
    }

    /// The three-way handshake from `time`; returns when the client may send.
    func handshake(_ id: Int32, at time: Int64) -> Int64 {
        let reply = synAndSynAck(id, at: time)
        control(id, forward: true, flags: PacketAssembler.ackFlag, at: reply)
        return reply
    }

    /// SYN and SYN-ACK; returns when the SYN-ACK reaches the client.
    private func synAndSynAck(_ id: Int32, at time: Int64) -> Int64 {
        let latency = connections[Int(id)].latency
        control(id, forward: true, flags: PacketAssembler.syn, at: time, syn: true)
        connections[Int(id)].clientSeq &+= 1
        control(id, forward: false, flags: PacketAssembler.syn | PacketAssembler.ackFlag, at: time + latency, syn: true)
        connections[Int(id)].serverSeq &+= 1
        return time + 2 * latency
    }

    /// A connection attempt to a closed port: SYN, then RST from the target. With `answered` false
    /// (nobody at the address) only the SYN.
    func refusedConnection(_ id: Int32, at time: Int64, answered: Bool) {
        control(id, forward: true, flags: PacketAssembler.syn, at: time, syn: true)
        connections[Int(id)].clientSeq &+= 1
        if answered {
            control(id, forward: false, flags: PacketAssembler.rst | PacketAssembler.ackFlag, at: time + connections[Int(id)].latency)
        }
        connections[Int(id)].open = false
        releaseIfIdle(id)
    }

    /// A SYN answered with SYN-ACK and reset by the client (a half-open scan of an open port).
    func halfOpen(_ id: Int32, at time: Int64) {
        control(id, forward: true, flags: PacketAssembler.rst, at: synAndSynAck(id, at: time))
        connections[Int(id)].open = false
        releaseIfIdle(id)
    }

    /// Sends `message` from one side starting at `time`, in segments of at most the MSS; the receiver
    /// ACKs every second segment at once and the last one after the delayed-ACK time unless its own
    /// data carries the ACK first. Returns when the last byte arrives.
    @discardableResult
    func send(_ id: Int32, forward: Bool, message: MessageStore.Message, at time: Int64) -> Int64 {
        let length = message.length
        let messageID = messages.add(message)
        var c = connections[Int(id)]
        let time = max(time, forward ? c.clientFreeAt : c.serverFreeAt)
        cancelDelayedAck(id, fromClient: forward, before: time)
        c = connections[Int(id)]
        let segments = max(1, (length + c.mss - 1) / c.mss)
        messages.setSegments(messageID, segments)
        var offset = 0
        var sendTime = time
        var arrival = time
        // A last segment of one byte would look like a keep-alive probe to an analyser that sees the
        // stream twice (two interfaces); the segment before it gives up a byte instead.
        let shortTail = segments > 1 && length % c.mss == 1
        for index in 0..<segments {
            let size = shortTail && index == segments - 2 ? c.mss - 1 : min(c.mss, length - offset)
            let seq = forward ? connections[Int(id)].clientSeq : connections[Int(id)].serverSeq
            let last = index == segments - 1
            schedule(Segment(connection: id, forward: forward, flags: PacketAssembler.ackFlag | (last ? PacketAssembler.psh : 0),
                             synOptions: false, seq: seq, ack: forward ? c.serverSeq : c.clientSeq, message: messageID,
                             offset: Int32(offset), length: Int32(size), token: 0), at: sendTime)
            if forward { connections[Int(id)].clientSeq &+= UInt32(size) } else { connections[Int(id)].serverSeq &+= UInt32(size) }
            offset += size
            arrival = sendTime + c.latency
            if index % 2 == 1 {
                control(id, forward: !forward, flags: PacketAssembler.ackFlag, at: arrival)
            } else if last {
                scheduleDelayedAck(id, fromClient: !forward, at: arrival + Self.delayedAck)
            }
            sendTime += c.segmentGap
        }
        if forward { connections[Int(id)].clientFreeAt = sendTime } else { connections[Int(id)].serverFreeAt = sendTime }
        return arrival
    }

    private func scheduleDelayedAck(_ id: Int32, fromClient: Bool, at time: Int64) {
        let token: UInt32
        if fromClient {
            connections[Int(id)].clientAckToken &+= 1
            connections[Int(id)].clientAckAt = time
            token = connections[Int(id)].clientAckToken
        } else {
            connections[Int(id)].serverAckToken &+= 1
            connections[Int(id)].serverAckAt = time
            token = connections[Int(id)].serverAckToken
        }
        control(id, forward: fromClient, flags: PacketAssembler.ackFlag, at: time, token: token)
    }

    /// Data (or a FIN) from a side at `time` carries its ACK, so a delayed ACK still to come is dropped.
    private func cancelDelayedAck(_ id: Int32, fromClient: Bool, before time: Int64) {
        if fromClient, connections[Int(id)].clientAckAt > time {
            connections[Int(id)].clientAckToken &+= 1
            connections[Int(id)].clientAckAt = -1
        } else if !fromClient, connections[Int(id)].serverAckAt > time {
            connections[Int(id)].serverAckToken &+= 1
            connections[Int(id)].serverAckAt = -1
        }
    }

    /// One UDP datagram.
    func datagram(_ id: Int32, forward: Bool, bytes: [UInt8], at time: Int64) {
        let messageID = messages.add(MessageStore.Message(prefix: bytes, bodyLength: 0, suffix: [], fill: 0, segmentsLeft: 1))
        schedule(Segment(connection: id, forward: forward, flags: 0, synOptions: false, seq: 0, ack: 0, message: messageID,
                         offset: 0, length: Int32(bytes.count), token: 0), at: time)
    }

    /// Orderly close from the client: FIN, FIN, ACK.
    func close(_ id: Int32, at time: Int64) {
        guard connections[Int(id)].open else { return }
        if connections[Int(id)].tcp {
            let latency = connections[Int(id)].latency
            let start = max(time, connections[Int(id)].clientAckAt, connections[Int(id)].serverAckAt)
            cancelDelayedAck(id, fromClient: true, before: start)
            control(id, forward: true, flags: PacketAssembler.fin | PacketAssembler.ackFlag, at: start)
            connections[Int(id)].clientSeq &+= 1
            control(id, forward: false, flags: PacketAssembler.fin | PacketAssembler.ackFlag, at: start + latency)
            connections[Int(id)].serverSeq &+= 1
            control(id, forward: true, flags: PacketAssembler.ackFlag, at: start + 2 * latency)
        }
        connections[Int(id)].open = false
        if let pool = connections[Int(id)].pool {
            pools[pool]?.removeAll { $0 == id }
            connections[Int(id)].pool = nil
        }
        releaseIfIdle(id)
    }

    func releaseIfIdle(_ id: Int32) {
        if !connections[Int(id)].open && connections[Int(id)].pending == 0 {
            connections[Int(id)].views = []
            freeConnections.append(id)
        }
    }

    /// Writes a segment as every view of its connection shows it.
    func emit(_ segment: Segment, at time: Int64) throws {
        let index = Int(segment.connection)
        connections[index].pending -= 1
        defer { releaseIfIdle(segment.connection) }
        if segment.token != 0 {
            let current = segment.forward ? connections[index].clientAckToken : connections[index].serverAckToken
            if segment.token != current { return }
        }
        let length = Int(segment.length)
        var payloadSum: UInt64 = 0
        if segment.message >= 0 {
            messages.copy(segment.message, offset: Int(segment.offset), count: length, to: payloadScratch)
            payloadSum = InternetChecksum.sum(payloadScratch, count: length)
        }
        let ipID: UInt16
        if segment.forward {
            ipID = connections[index].clientIPID
            connections[index].clientIPID &+= 1
        } else {
            ipID = connections[index].serverIPID
            connections[index].serverIPID &+= 1
        }
        let transport: PacketAssembler.Transport = connections[index].tcp
            ? .tcp(flags: segment.flags, seq: segment.seq, ack: segment.ack, window: Self.window,
                   mss: segment.synOptions ? UInt16(connections[index].mss) : nil)
            : .udp
        for view in connections[index].views {
            let writer = writers[Int(view.node)]!
            // The writer assembles each packet in place, so its buffer moves after every packet.
            let base = writer.packetBuffer + writer.packetOffset
            let payloadOffset = assembler.payloadOffset(view: view, transport: transport, isIPv4: view.client.isIPv4)
            if length > 0 { (base + payloadOffset).copyMemory(from: payloadScratch, byteCount: length) }
            let packetLength = assembler.write(to: base, view: view, forward: segment.forward, transport: transport,
                                               payloadLength: length, payloadSum: payloadSum, ipID: ipID)
            let timestamp = nodeClock(view.node, at: time)
            try writer.appendPacket(length: packetLength, timestamp: timestamp)
            if view.singleNodeCopy, singleNodePairs != nil {
                singleNodePairs!.add(source: segment.forward ? view.client : view.server, destination: segment.forward ? view.server : view.client,
                                     bytes: packetLength, ipBytes: assembler.innerIPLength(ofPacket: packetLength, view: view), timestamp: timestamp)
            }
            if let flowExport, segment.forward ? view.recordsForward : view.recordsBackward {
                try flowExport.observe(ObservedPacket(
                    node: view.node, source: segment.forward ? view.client : view.server, destination: segment.forward ? view.server : view.client,
                    sourcePort: segment.forward ? view.clientPort : view.serverPort, destinationPort: segment.forward ? view.serverPort : view.clientPort,
                    ipProtocol: connections[index].tcp ? 6 : 17, tcpFlags: connections[index].tcp ? segment.flags : 0,
                    ipLength: assembler.innerIPLength(ofPacket: packetLength, view: view), payloadLength: length, timestamp: timestamp,
                    forward: segment.forward, clientPod: connections[index].clientPod, serverPod: connections[index].serverPod,
                    service: connections[index].service))
            }
        }
    }
}
