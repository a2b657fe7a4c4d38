using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace OsqueryBpf.Osquery.Tables;

/// <summary>
/// Reads the generate context with <see cref="Utf8JsonReader"/> (no reflection, AOT-clean). Accepts the
/// current format and the legacy forms osquery-go accepts: <c>op</c> as a string, <c>list</c> as "".
/// Unknown keys are skipped so a newer osqueryd does not break us.
/// </summary>
internal static class QueryContextParser
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 16, CommentHandling = JsonCommentHandling.Disallow };

    public static QueryContext Parse(string? json, IReadOnlyList<ColumnDefinition>? columns)
    {
        if (string.IsNullOrWhiteSpace(json))
            return QueryContext.Empty;
        try
        {
            return ParseCore(Encoding.UTF8.GetBytes(json), columns);
        }
        catch (JsonException e)
        {
            throw new FormatException($"The query context is not valid JSON: {e.Message}", e);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or OverflowException or DecoderFallbackException)
        {
            // Utf8JsonReader accepts escapes it cannot turn into a string (a lone surrogate such as \ud800 makes
            // GetString throw InvalidOperationException); every such failure is bad input, reported as such.
            throw new FormatException($"The query context cannot be read: {e.Message}", e);
        }
    }

    private static QueryContext ParseCore(ReadOnlySpan<byte> utf8, IReadOnlyList<ColumnDefinition>? columns)
    {
        var reader = new Utf8JsonReader(utf8, ReaderOptions);
        Read(ref reader);
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new FormatException("The query context must be a JSON object.");

        var constraints = new Dictionary<string, ConstraintList>(StringComparer.Ordinal);
        List<string>? used = null;
        ulong? bitset = null;
        while (Read(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("constraints"u8))
            {
                Read(ref reader);
                ReadConstraints(ref reader, constraints);
            }
            else if (reader.ValueTextEquals("colsUsed"u8))
            {
                Read(ref reader);
                used = ReadStringArray(ref reader, "colsUsed");
            }
            else if (reader.ValueTextEquals("colsUsedBitset"u8))
            {
                Read(ref reader);
                bitset = ReadUnsigned(ref reader, "colsUsedBitset");
            }
            else
            {
                Read(ref reader);
                reader.Skip();
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject)
            throw new FormatException("The query context JSON object is not closed.");
        // Anything after the object is an error, not something to ignore silently.
        if (reader.Read())
            throw new FormatException("The query context has content after its JSON object.");
        if (bitset is null && used is not null && columns is not null)
            bitset = BitsetFromNames(used, columns);
        return new QueryContext(constraints, used, bitset);
    }

    private static void ReadConstraints(ref Utf8JsonReader reader, Dictionary<string, ConstraintList> into)
    {
        if (reader.TokenType == JsonTokenType.Null)
            return;
        if (reader.TokenType != JsonTokenType.StartArray)
            throw new FormatException("The query context's 'constraints' must be an array.");
        while (Read(ref reader) && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
                throw new FormatException("Each entry of the query context's 'constraints' must be an object.");
            string? name = null;
            string affinity = "UNKNOWN";
            var list = new List<Constraint>();
            while (Read(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("name"u8))
                {
                    Read(ref reader);
                    name = ReadText(ref reader, "name");
                }
                else if (reader.ValueTextEquals("affinity"u8))
                {
                    Read(ref reader);
                    affinity = ReadText(ref reader, "affinity");
                }
                else if (reader.ValueTextEquals("list"u8))
                {
                    Read(ref reader);
                    ReadConstraintList(ref reader, list);
                }
                else
                {
                    Read(ref reader);
                    reader.Skip();
                }
            }
            if (string.IsNullOrEmpty(name))
                throw new FormatException("A constraint entry of the query context has no column name.");
            // A column can be listed twice (osqueryd merges by name); keep every constraint.
            if (into.TryGetValue(name, out var existing))
                list.InsertRange(0, existing.Constraints);
            into[name] = new ConstraintList(affinity, list);
        }
    }

    private static void ReadConstraintList(ref Utf8JsonReader reader, List<Constraint> into)
    {
        // Legacy osquery sent an empty list as "" (osquery-go accepts it); null is treated the same way.
        if (reader.TokenType == JsonTokenType.Null)
            return;
        if (reader.TokenType == JsonTokenType.String)
        {
            if (reader.ValueTextEquals(""u8))
                return;
            throw new FormatException("A constraint 'list' of the query context must be an array.");
        }
        if (reader.TokenType != JsonTokenType.StartArray)
            throw new FormatException("A constraint 'list' of the query context must be an array.");
        while (Read(ref reader) && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
                throw new FormatException("Each constraint of the query context must be an object.");
            int? op = null;
            string? expr = null;
            while (Read(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("op"u8))
                {
                    Read(ref reader);
                    op = ReadOperator(ref reader);
                }
                else if (reader.ValueTextEquals("expr"u8))
                {
                    Read(ref reader);
                    expr = reader.TokenType switch
                    {
                        JsonTokenType.String => reader.GetString() ?? "",
                        // osqueryd always sends text, but be lenient with a bare number or boolean.
                        JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False =>
                            Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan.ToArray()),
                        JsonTokenType.Null => null,
                        _ => throw new FormatException("A constraint 'expr' of the query context must be a string."),
                    };
                }
                else
                {
                    Read(ref reader);
                    reader.Skip();
                }
            }
            if (op is null)
                throw new FormatException("A constraint of the query context has no 'op'.");
            // A NULL value cannot be pushed down (osqueryd drops such constraints itself); ignore it.
            if (expr is not null)
                into.Add(new Constraint((ConstraintOperator)op.Value, expr));
        }
    }

    private static int ReadOperator(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var number))
            return number;
        // osquery before 3.0 sent the operator as a string.
        if (reader.TokenType == JsonTokenType.String
            && int.TryParse(reader.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            return parsed;
        throw new FormatException("A constraint 'op' of the query context must be an integer.");
    }

    private static List<string> ReadStringArray(ref Utf8JsonReader reader, string what)
    {
        var result = new List<string>();
        if (reader.TokenType == JsonTokenType.Null)
            return result;
        if (reader.TokenType != JsonTokenType.StartArray)
            throw new FormatException($"The query context's '{what}' must be an array of strings.");
        while (Read(ref reader) && reader.TokenType != JsonTokenType.EndArray)
            result.Add(ReadText(ref reader, what));
        return result;
    }

    private static ulong ReadUnsigned(ref Utf8JsonReader reader, string what)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetUInt64(out var value))
            return value;
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var signed))
            return unchecked((ulong)signed);
        if (reader.TokenType == JsonTokenType.String
            && ulong.TryParse(reader.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            return parsed;
        throw new FormatException($"The query context's '{what}' must be an unsigned 64-bit integer.");
    }

    private static string ReadText(ref Utf8JsonReader reader, string what)
    {
        if (reader.TokenType != JsonTokenType.String)
            throw new FormatException($"The query context's '{what}' must be a string.");
        return reader.GetString() ?? "";
    }

    private static ulong BitsetFromNames(List<string> used, IReadOnlyList<ColumnDefinition> columns)
    {
        ulong bits = 0;
        for (var i = 0; i < columns.Count; i++)
        {
            if (used.Contains(columns[i].Name))
                bits |= 1UL << Math.Min(i, 63);
        }
        return bits;
    }

    private static bool Read(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
            throw new FormatException("The query context JSON ends too early.");
        return true;
    }
}
