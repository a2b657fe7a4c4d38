using OsqueryBpf.Osquery.Tables;
using Xunit;

namespace OsqueryBpf.Osquery.Tests;

public sealed class TableRoutesTests
{
    [Fact]
    public void TypeNamesAreOsquerysExactSpelling()
    {
        Assert.Equal(
            ["TEXT", "INTEGER", "BIGINT", "UNSIGNED BIGINT", "DOUBLE", "BLOB"],
            Enum.GetValues<ColumnType>().Select(t => t.ToWireName()));
        Assert.True(ColumnTypeNames.TryParse("UNSIGNED BIGINT", out var t) && t == ColumnType.UnsignedBigInt);
        Assert.False(ColumnTypeNames.TryParse("bigint", out _));
    }

    [Fact]
    public void OptionAndAttributeValuesMatchOsquery()
    {
        Assert.Equal(1, (int)ColumnOptions.Index);
        Assert.Equal(16, (int)ColumnOptions.Hidden);
        Assert.Equal(2048, (int)ColumnOptions.CollateVersionRhel);
        Assert.Equal(4, (int)TableAttributes.EventBased);
        Assert.Equal(32, (int)TableAttributes.Pending);
    }

    [Fact]
    public void RoutesAreColumnsInOrderThenAttributes()
    {
        var routes = TableRoutes.Build(new SyntheticTable());
        Assert.Equal(SyntheticTable.ColumnList.Length + 1, routes.Count);
        Assert.Equal(new Dictionary<string, string> { ["id"] = "column", ["name"] = "name", ["type"] = "TEXT", ["op"] = "0" }, routes[0]);
        Assert.Equal(new Dictionary<string, string> { ["id"] = "attributes", ["attributes"] = "4" }, routes[^1]);
    }

    [Fact]
    public void DuplicateTableNamesAreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new TablePluginRouter([new SyntheticTable("t"), new SyntheticTable("t")]));
        Assert.Contains("'t'", e.Message);
    }

    [Fact]
    public void RowValuesAreInvariantAndUnpadded()
    {
        Assert.Equal("-5", RowValues.From(-5L));
        Assert.Equal("18446744073709551615", RowValues.From(ulong.MaxValue));
        Assert.Equal("0.25", RowValues.From(0.25));
        Assert.Equal("1", RowValues.From(true));
    }
}
