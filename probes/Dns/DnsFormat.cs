using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace OsqueryBpf.Dns;

/// <summary>
/// The text forms of ebpf_dns_events' <c>answers</c> and <c>response</c> columns.
/// <para>
/// <c>answers</c>: the answer section's records in message order, each as <c>TYPE DATA</c> (the type's
/// mnemonic or TYPEnnn, a space, the data in presentation form as dig prints it), joined by <c>"; "</c>;
/// empty when there are none. Example: <c>CNAME example.net.; A 93.184.216.34; A 93.184.216.35</c>.
/// The separator cannot occur inside a record: names escape <c>;</c> as <c>\;</c> and spaces as
/// <c>\032</c>, and character strings escape <c>;</c> as <c>\059</c>.
/// </para>
/// <para>
/// <c>response</c>: a JSON array with one object per answer record, in message order:
/// <c>{"name":"example.com.","type":"A","class":"IN","ttl":300,"data":"93.184.216.34"}</c>. Strings are the
/// same presentation forms (pure ASCII), so the JSON is valid whatever bytes the message held.
/// </para>
/// </summary>
public static class DnsFormat
{
    /// <summary>The separator between records in <see cref="Answers"/>.</summary>
    public const string AnswerSeparator = "; ";

    private static readonly JsonWriterOptions JsonOptions = new()
    {
        // The column is stored and read as data, never embedded in HTML; keep <, >, & and ' readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The <c>answers</c> column: <c>TYPE DATA</c> per answer record, joined by <c>"; "</c>.</summary>
    public static string Answers(DnsMessage message)
    {
        var answers = message.Answers;
        if (answers.Count == 0)
            return "";
        var text = new StringBuilder(32 * answers.Count);
        for (var i = 0; i < answers.Count; i++)
        {
            if (i > 0)
                text.Append(AnswerSeparator);
            text.Append(answers[i].TypeName).Append(' ').Append(answers[i].Data);
        }
        return text.ToString();
    }

    /// <summary>The <c>response</c> column: the answer records as a JSON array of name, type, class, ttl, data.</summary>
    public static string ResponseJson(DnsMessage message) => RecordsJson(message.Answers);

    /// <summary>Any records as a JSON array of objects with name, type, class, ttl and data.</summary>
    public static string RecordsJson(IReadOnlyList<DnsRecord> records)
    {
        if (records.Count == 0)
            return "[]";
        // One buffer and writer per thread, reset per call: the writer itself costs more than a short array.
        var buffer = t_jsonBuffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var json = t_jsonWriter ??= new Utf8JsonWriter(buffer, JsonOptions);
        json.Reset(buffer);
        json.WriteStartArray();
        foreach (var record in records)
        {
            json.WriteStartObject();
            json.WriteString("name", record.Name);
            json.WriteString("type", record.TypeName);
            json.WriteString("class", record.ClassName);
            json.WriteNumber("ttl", record.Ttl);
            json.WriteString("data", record.Data);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.Flush();
        var text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        if (buffer.Capacity > 1 << 20)
        {
            // Do not keep a huge buffer alive for the thread's lifetime after one enormous response.
            t_jsonBuffer = null;
            t_jsonWriter = null;
        }
        return text;
    }

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_jsonBuffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_jsonWriter;
}
