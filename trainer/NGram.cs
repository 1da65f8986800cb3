namespace GenAiServerless.Trainer;

/// <summary>Up to four token ids, right-aligned (unused leading slots hold -1), used as a dictionary key.</summary>
/// <remarks>
/// A fixed-size value key keeps counting allocation-free; orders above four only memorise a small
/// corpus, so the cap costs nothing in practice.
/// </remarks>
internal readonly record struct NGram(int W0, int W1, int W2, int W3)
{
    public const int MaxOrder = 4;

    public static readonly NGram Empty = new(-1, -1, -1, -1);

    /// <summary>The last <paramref name="length"/> ids of <paramref name="ids"/>.</summary>
    public static NGram Tail(ReadOnlySpan<int> ids, int length)
    {
        Span<int> slots = [-1, -1, -1, -1];
        ids[^length..].CopyTo(slots[(MaxOrder - length)..]);
        return new NGram(slots[0], slots[1], slots[2], slots[3]);
    }

    public int Length => W0 >= 0 ? 4 : W1 >= 0 ? 3 : W2 >= 0 ? 2 : W3 >= 0 ? 1 : 0;

    public int Last => W3;

    /// <summary>Every id but the last: the history this n-gram predicts its last token from.</summary>
    public NGram Context => new(-1, W0, W1, W2);

    /// <summary>Every id but the first: the same n-gram one order lower.</summary>
    public NGram Suffix => Length switch
    {
        4 => this with { W0 = -1 },
        3 => this with { W1 = -1 },
        2 => this with { W2 = -1 },
        _ => Empty,
    };

    /// <summary>This context extended by <paramref name="next"/>.</summary>
    public NGram Append(int next) => new(W1, W2, W3, next);

    public void CopyTo(Span<int> destination, int length)
    {
        ReadOnlySpan<int> slots = [W0, W1, W2, W3];
        slots[(MaxOrder - length)..].CopyTo(destination);
    }

    public static int Compare(NGram left, NGram right)
    {
        var order = left.W0.CompareTo(right.W0);
        order = order != 0 ? order : left.W1.CompareTo(right.W1);
        order = order != 0 ? order : left.W2.CompareTo(right.W2);
        return order != 0 ? order : left.W3.CompareTo(right.W3);
    }
}
