using System.Buffers.Binary;

namespace OsqueryBpf.Dns;

/// <summary>
/// The wire-format reader behind <see cref="DnsMessage.Parse"/>: a stack-only cursor over the message that
/// checks every read against the bytes actually present. It keeps the first problem it meets (error, offset,
/// sentence) and continues only past problems whose extent is known (a record's data, delimited by RDLENGTH).
/// </summary>
internal ref partial struct MessageParser
{
    // Enough for ordinary names on the stack (stackalloc zero-fills, so smaller is faster); a longer presentation
    // form (up to 255 wire bytes, each as \DDD) moves to a pooled array.
    private const int StackNameChars = 256;
    private const int MinQuestionLength = 5;  // root name + type + class
    private const int MinRecordLength = 11;   // root name + type + class + ttl + rdlength

    private readonly ReadOnlySpan<byte> _msg;
    private NameCache _names;
    private DnsParseError _error;
    private int _errorOffset;
    private string? _reason;

    // The last name problem, kept by TryReadName for its caller to report: fatal for an owner or question name,
    // bad record data for a name inside record data.
    private DnsParseError _nameError;
    private int _nameErrorOffset;
    private string _nameErrorReason;

    private MessageParser(ReadOnlySpan<byte> message)
    {
        _msg = message;
        _names = default;
        _error = DnsParseError.None;
        _errorOffset = -1;
        _reason = null;
        _nameError = DnsParseError.None;
        _nameErrorOffset = 0;
        _nameErrorReason = "";
    }

    /// <summary>True once a problem stopped the reading (anything but bad record data or an oversized input).</summary>
    private readonly bool Stopped => _error is not (DnsParseError.None or DnsParseError.BadRecordData or DnsParseError.TooLarge);

    public static DnsParseResult Parse(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
            return new DnsParseResult(null, DnsParseError.Empty, 0, "The message is empty.", 0);
        if (data.Length < DnsMessage.HeaderLength)
        {
            return new DnsParseResult(null, DnsParseError.HeaderTruncated, 0,
                $"The message is {data.Length} bytes long, shorter than the 12-byte DNS header.", 0);
        }

        var originalLength = data.Length;
        var parser = new MessageParser(data.Length > DnsMessage.MaxLength ? data[..DnsMessage.MaxLength] : data);
        if (originalLength > DnsMessage.MaxLength)
        {
            parser.Fail(DnsParseError.TooLarge, DnsMessage.MaxLength,
                $"The message is {originalLength} bytes long, more than the 65,535 a DNS message can have; only the first 65,535 were read.");
        }
        return parser.ParseMessage(originalLength);
    }

    private DnsParseResult ParseMessage(int originalLength)
    {
        var m = _msg;
        var message = new DnsMessage(
            id: BinaryPrimitives.ReadUInt16BigEndian(m),
            flags: BinaryPrimitives.ReadUInt16BigEndian(m[2..]),
            questionCount: BinaryPrimitives.ReadUInt16BigEndian(m[4..]),
            answerCount: BinaryPrimitives.ReadUInt16BigEndian(m[6..]),
            authorityCount: BinaryPrimitives.ReadUInt16BigEndian(m[8..]),
            additionalCount: BinaryPrimitives.ReadUInt16BigEndian(m[10..]),
            length: originalLength);

        var pos = DnsMessage.HeaderLength;
        message.Questions = ReadQuestions(ref pos, message.QuestionCount);
        if (!Stopped)
            message.Answers = ReadRecords(ref pos, message.AnswerCount, "answer", message);
        if (!Stopped)
            message.Authorities = ReadRecords(ref pos, message.AuthorityCount, "authority", message);
        if (!Stopped)
            message.Additionals = ReadRecords(ref pos, message.AdditionalCount, "additional", message);

        var trailing = Stopped ? 0 : _msg.Length - pos;
        return new DnsParseResult(message, _error, _errorOffset, _reason, trailing);
    }

    private IReadOnlyList<DnsQuestion> ReadQuestions(ref int pos, int count)
    {
        if (count == 0)
            return [];
        // Capacity from the bytes left, never from the count alone: a header may claim 65,535 questions.
        var list = new List<DnsQuestion>(Math.Min(count, (_msg.Length - pos) / MinQuestionLength + 1));
        for (var i = 0; i < count; i++)
        {
            if (pos >= _msg.Length)
            {
                Fail(DnsParseError.Truncated, pos,
                    $"The message ends after {i} of the {count} questions its header announces.");
                break;
            }
            var start = pos;
            if (!TryReadName(ref pos, _msg.Length, out var name))
            {
                Fail(_nameError, _nameErrorOffset, _nameErrorReason);
                break;
            }
            if (pos + 4 > _msg.Length)
            {
                Fail(DnsParseError.Truncated, start,
                    $"The message ends inside question {i + 1} of {count}, which starts at byte {start}.");
                break;
            }
            list.Add(new DnsQuestion(name, ReadU16(pos), ReadU16(pos + 2)));
            pos += 4;
        }
        return list;
    }

    private IReadOnlyList<DnsRecord> ReadRecords(ref int pos, int count, string section, DnsMessage message)
    {
        if (count == 0)
            return [];
        var list = new List<DnsRecord>(Math.Min(count, (_msg.Length - pos) / MinRecordLength + 1));
        for (var i = 0; i < count; i++)
        {
            if (pos >= _msg.Length)
            {
                Fail(DnsParseError.Truncated, pos,
                    $"The message ends after {i} of the {count} {section} records its header announces.");
                break;
            }
            var start = pos;
            if (!TryReadName(ref pos, _msg.Length, out var name))
            {
                Fail(_nameError, _nameErrorOffset, _nameErrorReason);
                break;
            }
            if (pos + 10 > _msg.Length)
            {
                Fail(DnsParseError.Truncated, start,
                    $"The message ends inside {section} record {i + 1} of {count}, which starts at byte {start}.");
                break;
            }
            var type = ReadU16(pos);
            var cls = ReadU16(pos + 2);
            var ttl = ReadU32(pos + 4);
            int dataLength = ReadU16(pos + 8);
            var dataStart = pos + 10;
            if (dataStart + dataLength > _msg.Length)
            {
                Fail(DnsParseError.Truncated, dataStart,
                    $"The data of {section} record {i + 1} of {count} ({DnsNames.TypeName(type)}, {dataLength} bytes at byte {dataStart}) runs past the end of the message ({_msg.Length} bytes).");
                break;
            }

            string data;
            if (type == DnsNames.Types.OPT)
            {
                data = FormatOpt(dataStart, dataStart + dataLength, cls, ttl, out var optionCount);
                if (section == "additional" && message.Edns is null)
                {
                    message.Edns = new DnsEdns(cls, (byte)(ttl >> 24), (byte)(ttl >> 16), (ttl & 0x8000) != 0,
                        (ushort)ttl, optionCount);
                }
            }
            else
            {
                data = FormatData(type, dataStart, dataStart + dataLength, section, i + 1);
            }
            list.Add(new DnsRecord(name, type, cls, ttl, data, dataLength));
            pos = dataStart + dataLength;
        }
        return list;
    }

    /// <summary>
    /// Reads a possibly compressed name starting at <paramref name="pos"/> and moves <paramref name="pos"/> past
    /// its in-place bytes (up to and including the first pointer). Bytes before the first pointer must lie
    /// below <paramref name="end"/> (the record data's end for names inside record data). Returns false after
    /// keeping the problem in _nameError for the caller to report.
    /// </summary>
    private bool TryReadName(ref int pos, int end, out string name)
    {
        name = "";
        var start = pos;
        var p = pos;
        var limit = end;
        // A pointer must point below the start of the run of labels it ends. Every jump therefore lowers
        // segmentStart, so no sequence of pointers can revisit a byte: this alone guarantees termination.
        var segmentStart = p;
        var labelsStart = p;
        var jumped = false;
        var hops = 0;
        var hopsBeforeLabels = 0; // pointers followed before reaching labelsStart (not part of that name's cost)
        var wire = 0;
        Span<char> initial = stackalloc char[StackNameChars];
        var text = new CharBuffer(initial);
        try
        {
            while (true)
            {
                if (p >= limit)
                    return FailName(DnsParseError.Truncated, start, p, end);
                var b = _msg[p];
                switch (b & 0xC0)
                {
                    case 0x00:
                        if (b == 0)
                        {
                            if (!jumped)
                                pos = p + 1;
                            name = text.Length == 0 ? "." : text.ToString();
                            _names.Add(labelsStart, name, wire + 1, hops - hopsBeforeLabels);
                            return true;
                        }
                        if (p + 1 + b > limit)
                            return FailName(DnsParseError.Truncated, start, p, end);
                        wire += 1 + b;
                        if (wire + 1 > 255)
                            return FailName(DnsParseError.NameTooLong, start, p, end);
                        DnsText.AppendLabel(ref text, _msg.Slice(p + 1, b));
                        text.Append('.');
                        p += 1 + b;
                        break;

                    case 0xC0:
                        if (p + 2 > limit)
                            return FailName(DnsParseError.Truncated, start, p, end);
                        var target = ((b & 0x3F) << 8) | _msg[p + 1];
                        if (target >= segmentStart)
                            return FailName(DnsParseError.BadPointer, start, p, end, target);
                        if (++hops > DnsMessage.MaxPointerHops)
                            return FailName(DnsParseError.TooManyPointers, start, p, end);
                        if (!jumped)
                        {
                            pos = p + 2;
                            jumped = true;
                            limit = _msg.Length;
                        }
                        if (_names.TryGet(target, out var known, out var knownWire, out var knownHops))
                        {
                            if (wire + knownWire > 255)
                                return FailName(DnsParseError.NameTooLong, start, p, end);
                            if (hops + knownHops > DnsMessage.MaxPointerHops)
                                return FailName(DnsParseError.TooManyPointers, start, p, end);
                            if (text.Length == 0)
                            {
                                name = known;
                                return true;
                            }
                            name = known == "." ? text.ToString() : string.Concat(text.Written, known);
                            _names.Add(labelsStart, name, wire + knownWire, hops + knownHops - hopsBeforeLabels);
                            return true;
                        }
                        if (text.Length == 0)
                        {
                            labelsStart = target;
                            hopsBeforeLabels = hops;
                        }
                        p = target;
                        segmentStart = target;
                        break;

                    default:
                        return FailName(DnsParseError.BadLabelType, start, p, end);
                }
            }
        }
        finally
        {
            text.Dispose();
        }
    }

    private bool FailName(DnsParseError error, int nameStart, int at, int end, int target = 0)
    {
        var where = end < _msg.Length ? "its record's data" : "the message";
        var reason = error switch
        {
            DnsParseError.Truncated => $"The name that starts at byte {nameStart} runs past the end of {where}.",
            DnsParseError.NameTooLong => $"The name that starts at byte {nameStart} is longer than 255 bytes.",
            DnsParseError.BadPointer => $"The name that starts at byte {nameStart} has a compression pointer at byte {at} to byte {target}, which is not before the labels that contain it (a forward pointer or a loop).",
            DnsParseError.TooManyPointers => $"The name that starts at byte {nameStart} follows more than {DnsMessage.MaxPointerHops} compression pointers.",
            _ => $"The name that starts at byte {nameStart} has a label of reserved type 0x{_msg[at] & 0xC0:x2} at byte {at} (length byte {_msg[at]}, over the 63-byte label limit).",
        };
        _nameError = error;
        _nameErrorOffset = at;
        _nameErrorReason = reason;
        return false;
    }

    private void Fail(DnsParseError error, int offset, string reason)
    {
        // The first problem is kept, except that a problem which stops the parse replaces an earlier one that did
        // not: why the message ends where it does matters more than a bad record before that point.
        if (_error == DnsParseError.None || (!Stopped && error is not (DnsParseError.BadRecordData or DnsParseError.TooLarge)))
        {
            _error = error;
            _errorOffset = offset;
            _reason = reason;
        }
    }

    private readonly ushort ReadU16(int at) => BinaryPrimitives.ReadUInt16BigEndian(_msg[at..]);

    private readonly uint ReadU32(int at) => BinaryPrimitives.ReadUInt32BigEndian(_msg[at..]);
}
