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
}
