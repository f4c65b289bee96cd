namespace Consortia.Privacy.Accounting;

/// <summary>A running sum of signed terms kept as (sign, ln |sum|), for series whose terms over- or underflow.</summary>
internal struct SignedLogSum
{
    private int _sign;
    private double _log;

    /// <summary>Creates an empty (zero) sum.</summary>
    public SignedLogSum()
    {
        _sign = 0;
        _log = double.NegativeInfinity;
    }

    /// <summary>The sign of the sum: −1, 0 or +1.</summary>
    public readonly int Sign => _sign;

    /// <summary>ln |sum| (−∞ for zero).</summary>
    public readonly double Log => _sign == 0 ? double.NegativeInfinity : _log;

    /// <summary>Adds the term sign·e^{logAbs}.</summary>
    public void Add(int sign, double logAbs)
    {
        if (sign == 0 || double.IsNegativeInfinity(logAbs))
        {
            return;
        }

        if (_sign == 0)
        {
            _sign = sign;
            _log = logAbs;
        }
        else if (sign == _sign)
        {
            _log = LogMath.LogAdd(_log, logAbs);
        }
        else if (logAbs == _log)
        {
            _sign = 0;
            _log = double.NegativeInfinity;
        }
        else if (_log > logAbs)
        {
            _log = LogMath.LogSub(_log, logAbs);
        }
        else
        {
            _log = LogMath.LogSub(logAbs, _log);
            _sign = sign;
        }
    }
}
