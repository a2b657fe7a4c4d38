using OsqueryBpf.Osquery.Tables;
using Xunit;

namespace OsqueryBpf.Osquery.Tests;

/// <summary>The generate context as osqueryd writes it (osquery-protocol.md 3.2), plus legacy forms.</summary>
public sealed class QueryContextTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void MissingContextIsEmpty(string? json)
    {
        var context = QueryContext.Parse(json);
        Assert.Empty(context.Constraints);
        Assert.Null(context.ColumnsUsed);
        Assert.True(context.IsColumnUsed("anything"));
    }

    [Fact]
    public void UnknownOperatorsAreKeptAsNumbers()
    {
        var context = QueryContext.Parse("""{"constraints":[{"name":"a","list":[{"op":69,"expr":"x"},{"op":200,"expr":"y"}],"affinity":"TEXT"}]}""");
        var list = context.Constraints["a"].Constraints;
        Assert.Equal(ConstraintOperator.IsNot, list[0].Operator);
        Assert.Equal(200, (int)list[1].Operator);
    }

    [Fact]
    public void LegacyStringOperatorAndEmptyStringListAreAccepted()
    {
        var context = QueryContext.Parse(
            """{"constraints":[{"name":"a","list":[{"op":"2","expr":"5"}],"affinity":"BIGINT"},{"name":"b","list":"","affinity":"TEXT"}]}""");
        Assert.Equal(["5"], context.ExpressionsFor("a", ConstraintOperator.Equals));
        Assert.Empty(context.Constraints["b"].Constraints);
    }

    [Fact]
    public void BitsetAboveInt64AndUnknownKeysAreHandled()
    {
        var context = QueryContext.Parse("""{"constraints":[],"colsUsed":[],"colsUsedBitset":18446744073709551615,"future":{"x":[1,2]}}""");
        Assert.Equal(ulong.MaxValue, context.ColumnsUsedBitset);
        Assert.Empty(context.ColumnsUsed!);
    }

    [Fact]
    public void BitsetIsRebuiltFromColumnsUsedWhenMissing()
    {
        var columns = new[] { ColumnDefinition.Text("a"), ColumnDefinition.Text("b"), ColumnDefinition.Text("c") };
        var context = QueryContext.Parse("""{"colsUsed":["c","a"]}""", columns);
        Assert.Equal(0b101UL, context.ColumnsUsedBitset);
    }

    [Fact]
    public void NullExpressionsAreDropped()
    {
        var context = QueryContext.Parse("""{"constraints":[{"name":"a","list":[{"op":2,"expr":null}],"affinity":"TEXT"}]}""");
        Assert.Empty(context.Constraints["a"].Constraints);
    }

    [Theory]
    [InlineData("{[]}")]
    [InlineData("[1,2]")]
    [InlineData("{\"constraints\":5}")]
    [InlineData("{\"constraints\":[{\"list\":[]}]}")]
    [InlineData("{\"constraints\":[{\"name\":\"a\",\"list\":[{\"expr\":\"1\"}]}]}")]
    [InlineData("{\"constraints\":[{\"name\":\"a\",\"list\":[{\"op\":\"two\",\"expr\":\"1\"}]}]}")]
    [InlineData("{\"colsUsedBitset\":-1.5}")]
    [InlineData("{\"constraints\":[")]
    [InlineData("{\"a\":1} trailing")]
    public void MalformedContextIsAFormatException(string json)
    {
        var e = Assert.Throws<FormatException>(() => QueryContext.Parse(json));
        Assert.Contains("query context", e.Message);
    }

    [Theory]
    [InlineData("{\"constraints\":[{\"name\":\"a\",\"list\":[{\"op\":2,\"expr\":\"\\ud800\"}],\"affinity\":\"TEXT\"}]}")]
    [InlineData("{\"constraints\":[{\"name\":\"\\udc00x\",\"list\":[],\"affinity\":\"TEXT\"}]}")]
    [InlineData("{\"colsUsed\":[\"\\ud83d\"]}")]
    [InlineData("{\"constraints\":[{\"name\":\"a\",\"list\":[{\"op\":2,\"expr\":\"x\"}],\"affinity\":\"\\ud800\\ud800\"}]}")]
    [InlineData("{\"constraints\":[{\"name\":\"a\",\"list\":[{\"op\":\"\\udfff\",\"expr\":\"x\"}]}]}")]
    [InlineData("{\"colsUsedBitset\":\"\\ud800\"}")]
    public void LoneSurrogateEscapesAreAFormatException(string json)
    {
        var e = Assert.Throws<FormatException>(() => QueryContext.Parse(json));
        Assert.Contains("query context", e.Message);
    }

    [Theory]
    [InlineData("{\"constraints\":[{\"name\":5}]}")]
    [InlineData("{\"constraints\":[{\"name\":\"a\",\"list\":[{\"op\":1e400,\"expr\":\"1\"}]}]}")]
    [InlineData("{\"constraints\":[{\"name\":\"a\",\"list\":[{\"op\":99999999999,\"expr\":\"1\"}]}]}")]
    [InlineData("{\"constraints\":[{\"name\":\"a\",\"list\":[{\"op\":2,\"expr\":[1]}]}]}")]
    [InlineData("{\"constraints\":[{\"name\":\"a\",\"list\":{}}]}")]
    [InlineData("{\"colsUsed\":[1,2]}")]
    [InlineData("{\"colsUsed\":\"a\"}")]
    [InlineData("{\"colsUsedBitset\":\"-1\"}")]
    [InlineData("{\"colsUsedBitset\":true}")]
    [InlineData("{\"constraints\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}")]
    [InlineData("{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}")]
    [InlineData("{\"constraints\":[{\"name\":\"a\"}]} {")]
    [InlineData("\u0000")]
    [InlineData("{\"constraints\":[{\"name\":\"a\",\"list\":[{\"op\":2,\"expr\":\"\\x41\"}]}]}")]
    [InlineData("{\"constraints\":[{\"name\":\"a\",\"list\":[{\"op\":2,\"expr\":\"\\u12\"}]}]}")]
    [InlineData("{'constraints':[]}")]
    [InlineData("{\"constraints\":[],}")]
    [InlineData("{/* comment */}")]
    public void OddTypesAndSyntaxAreAFormatException(string json)
    {
        var e = Assert.Throws<FormatException>(() => QueryContext.Parse(json));
        Assert.Contains("query context", e.Message);
    }

    /// <summary>
    /// Mutations of real contexts (bytes flipped, inserted, removed, spans duplicated, escapes planted): the parser
    /// either returns a context or throws FormatException, never anything else.
    /// </summary>
    [Fact]
    public void FuzzedContextsOnlyEverFailWithAFormatException()
    {
        string[] seeds =
        [
            """{"constraints":[{"name":"pid","list":[{"op":2,"expr":"5"},{"op":32,"expr":"100"}],"affinity":"BIGINT"},{"name":"path","list":[],"affinity":"TEXT"}],"colsUsed":["pid","path"],"colsUsedBitset":3}""",
            """{"constraints":[{"name":"a","list":"","affinity":"TEXT"}],"colsUsed":[],"colsUsedBitset":18446744073709551615}""",
            """{"constraints":[{"name":"a","list":[{"op":"2","expr":null}],"affinity":"UNKNOWN"}],"future":{"x":[1,{"y":"z"}]}}""",
        ];
        string[] plants = ["\\ud800", "\\udc00", "\\u0000", "\\\"", "\\", "\"", "{", "[", "]", "}", ",", ":", "-1", "1e999", "null", "true", "\u00e9", "\ud83d\ude00"];
        var columns = new[] { ColumnDefinition.BigInt("pid"), ColumnDefinition.Text("path"), ColumnDefinition.Text("a") };
        var random = new Random(20261201);
        var parsed = 0;
        for (var i = 0; i < 50_000; i++)
        {
            var text = new System.Text.StringBuilder(seeds[random.Next(seeds.Length)]);
            var edits = random.Next(1, 4);
            for (var e = 0; e < edits && text.Length > 0; e++)
            {
                var at = random.Next(text.Length);
                switch (random.Next(5))
                {
                    case 0:
                        text[at] = (char)random.Next(0x20, 0x7f);
                        break;
                    case 1:
                        text.Insert(at, plants[random.Next(plants.Length)]);
                        break;
                    case 2:
                        text.Remove(at, Math.Min(random.Next(1, 8), text.Length - at));
                        break;
                    case 3:
                        var length = Math.Min(random.Next(1, 30), text.Length - at);
                        text.Insert(random.Next(text.Length), text.ToString(at, length));
                        break;
                    default:
                        text[at] = (char)random.Next(0xd800, 0xe000); // a raw lone surrogate in the .NET string
                        break;
                }
            }
            var json = text.ToString();
            try
            {
                var context = QueryContext.Parse(json, columns);
                Assert.NotNull(context.Constraints);
                parsed++;
            }
            catch (FormatException e)
            {
                Assert.Contains("query context", e.Message);
            }
            catch (Exception e)
            {
                Assert.Fail($"Parsing {json} threw {e.GetType().Name}: {e.Message}");
            }
        }
        // The mutations must leave some contexts valid, or this only tested the first syntax check.
        Assert.InRange(parsed, 1000, 49_000);
    }
}
