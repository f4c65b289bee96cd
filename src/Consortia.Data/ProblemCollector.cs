using System.Globalization;

namespace Consortia.Data;

/// <summary>Collects <see cref="DataProblem"/>s up to a cap, so that a hostile file cannot exhaust memory with errors.</summary>
internal sealed class ProblemCollector
{
    public const int DefaultLimit = 10_000;

    private readonly List<DataProblem> _problems = [];
    private readonly int _limit;
    private int _dropped;

    public ProblemCollector(int limit = DefaultLimit)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        _limit = limit;
    }

    public bool HasProblems => _problems.Count > 0;

    public int Count => _problems.Count + _dropped;

    public void Add(string file, int line, string column, string message)
    {
        if (_problems.Count < _limit)
        {
            _problems.Add(new DataProblem(file, line, column, message));
        }
        else
        {
            _dropped++;
        }
    }

    public IReadOnlyList<DataProblem> ToList()
    {
        if (_dropped == 0)
        {
            return [.. _problems];
        }

        DataProblem last = _problems[^1];
        return [.. _problems, new DataProblem(last.File, 0, string.Empty, string.Create(CultureInfo.InvariantCulture, $"{_dropped} further problems were not recorded (at most {_limit} are kept)."))];
    }

    /// <summary>Throws a <see cref="DataValidationException"/> listing every problem, if there is any.</summary>
    public void ThrowIfAny()
    {
        if (HasProblems)
        {
            throw new DataValidationException(ToList());
        }
    }
}
