"""A small layered layout for directed acyclic graphs, in pure Python.

The classic recipe (Sugiyama's), in four steps, each kept simple:
1. ranks: every node gets a row; edges go from a lower row to a higher one;
2. long edges are cut into pieces by invisible "dummy" nodes, one per row they cross, so they
   can bend around the boxes instead of running through them (very long ones are left whole);
3. the order inside each row is improved by the barycenter heuristic: a node moves towards the
   average position of its neighbours in the row above (then below), which removes most
   crossings;
4. x positions: each node is pulled towards its neighbours' average, then rows are pushed apart
   so no two boxes overlap.

It runs in roughly O(edges x sweeps) and lays out a few hundred nodes in a few milliseconds.

>>> layout = layered({"a": (40, 20), "b": (40, 20), "c": (40, 20)},
...                  [("a", "c"), ("b", "c")], {"a": 0, "b": 0, "c": 1})
>>> layout.boxes["c"][1] > layout.boxes["a"][1]      # c sits in the row below a and b
True
"""

H_GAP = 24        # horizontal space between two boxes
V_GAP = 46        # vertical space between two rows
MARGIN = 16
DUMMY_WIDTH = 8
SWEEPS = 6
MAX_SPAN = 12     # an edge crossing more rows than this is drawn as one curve, without dummies
                  # (a weight shared by every step of an RNN would otherwise add thousands)


class Layout:
    """Where everything goes: `boxes[id] = (x, y, width, height)` (top-left corner),
    `edges[i] = [(x, y), ...]` the points of edge i from its source to its target, and the
    picture's `width` and `height`."""

    def __init__(self, boxes, edges, width, height):
        self.boxes, self.edges, self.width, self.height = boxes, edges, width, height


def layered(sizes, edges, ranks):
    """Lay out nodes `sizes = {id: (width, height)}` joined by `edges = [(source, target)]`,
    each node in row `ranks[id]` (every edge must go to a higher row)."""
    # 1-2. rows, with dummy nodes on long edges
    ranks = dict(ranks)
    rows = {}
    for node in sizes:                         # dict order: the caller's preferred start order
        rows.setdefault(ranks[node], []).append(node)
    width_of = {n: s[0] for n, s in sizes.items()}
    chains = []                                # per edge: source, dummies..., target
    up, down = {n: [] for n in sizes}, {n: [] for n in sizes}
    dummy = 0
    for source, target in edges:
        chain = [source]
        span = ranks[target] - ranks[source]
        for r in range(ranks[source] + 1, ranks[target] if span <= MAX_SPAN else 0):
            d = ("dummy", dummy)
            dummy += 1
            ranks[d] = r
            width_of[d] = DUMMY_WIDTH
            rows.setdefault(r, []).append(d)
            up[d], down[d] = [], []
            chain.append(d)
        chain.append(target)
        for a, b in zip(chain, chain[1:]):
            down[a].append(b)
            up[b].append(a)
        chains.append(chain)
    levels = [rows[r] for r in sorted(rows)]

    # 3. order inside rows
    position = {}
    for row in levels:
        for i, n in enumerate(row):
            position[n] = i
    for sweep in range(SWEEPS):
        downward = sweep % 2 == 0
        sequence = levels[1:] if downward else levels[-2::-1]
        for row in sequence:
            neighbours = up if downward else down
            keyed = []
            for i, n in enumerate(row):
                around = neighbours[n]
                bary = sum(position[m] for m in around) / len(around) if around else i
                keyed.append((bary, i, n))
            keyed.sort(key=lambda k: (k[0], k[1]))
            row[:] = [n for _, _, n in keyed]
            for i, n in enumerate(row):
                position[n] = i

    # 4. x positions: start packed, then pull towards neighbours and push apart
    x = {}
    for row in levels:
        cursor = 0.0
        for n in row:
            x[n] = cursor + width_of[n] / 2
            cursor += width_of[n] + H_GAP
    for sweep in range(SWEEPS):
        downward = sweep % 2 == 0
        sequence = levels if downward else levels[::-1]
        for row in sequence:
            desired = []
            for n in row:
                around = (up[n] if downward else down[n]) or (down[n] if downward else up[n])
                desired.append(sum(x[m] for m in around) / len(around) if around else x[n])
            _place(row, desired, width_of, x)

    # rows' heights, then everything shifted so the picture starts at the margin
    left = min(x[n] - width_of[n] / 2 for n in x)
    row_top, top = {}, MARGIN
    for r, row in enumerate(levels):
        row_top[r] = top
        top += max((sizes[n][1] for n in row if n in sizes), default=DUMMY_WIDTH) + V_GAP
    rank_index = {rank: i for i, rank in enumerate(sorted(rows))}
    boxes = {}
    for n, (w, h) in sizes.items():
        boxes[n] = (x[n] - w / 2 - left + MARGIN, row_top[rank_index[ranks[n]]], w, h)
    row_height = {i: max((sizes[n][1] for n in row if n in sizes), default=DUMMY_WIDTH)
                  for i, row in enumerate(levels)}

    # edge routes: leave from the bottom of the source, enter the top of the target, spreading
    # several edges along a box's border so they do not sit on top of each other
    out_ports = _ports(chains, 0, 1, x, width_of, sizes)
    in_ports = _ports(chains, -1, -2, x, width_of, sizes)
    routes = []
    for i, chain in enumerate(chains):
        source, target = chain[0], chain[-1]
        sx, sy, sw, sh = boxes[source]
        tx, ty, tw, th = boxes[target]
        points = [(out_ports[i] - left + MARGIN, sy + sh)]
        for d in chain[1:-1]:
            r = rank_index[ranks[d]]
            cx = x[d] - left + MARGIN
            points.append((cx, row_top[r]))
            points.append((cx, row_top[r] + row_height[r]))
        points.append((in_ports[i] - left + MARGIN, ty))
        routes.append(points)
    width = max((b[0] + b[2] for b in boxes.values()), default=0) + MARGIN
    width = max([width] + [p[0] + MARGIN for route in routes for p in route])
    height = top - V_GAP + MARGIN
    return Layout(boxes, routes, width, height)


def _place(row, desired, width_of, x):
    """Put the row's nodes as near `desired` as possible, in order, without overlaps: once
    pushing right from the left, once pushing left from the right, then the average."""
    n = len(row)
    if n == 0:
        return
    right = [0.0] * n
    for i in range(n):
        right[i] = desired[i]
        if i and right[i] < right[i - 1] + (width_of[row[i - 1]] + width_of[row[i]]) / 2 + H_GAP:
            right[i] = right[i - 1] + (width_of[row[i - 1]] + width_of[row[i]]) / 2 + H_GAP
    left = [0.0] * n
    for i in range(n - 1, -1, -1):
        left[i] = desired[i]
        if i < n - 1 and left[i] > left[i + 1] - (width_of[row[i + 1]] + width_of[row[i]]) / 2 \
                - H_GAP:
            left[i] = left[i + 1] - (width_of[row[i + 1]] + width_of[row[i]]) / 2 - H_GAP
    for i, node in enumerate(row):
        x[node] = (left[i] + right[i]) / 2
    # the average of two valid placements can still overlap slightly: one last push right
    for i in range(1, n):
        least = x[row[i - 1]] + (width_of[row[i - 1]] + width_of[row[i]]) / 2 + H_GAP
        if x[row[i]] < least:
            x[row[i]] = least


def _ports(chains, end, neighbour, x, width_of, sizes):
    """For each edge, the x where it meets the box at chain[end], spread along the border in
    the order of where the edges come from, so they do not cross at the box."""
    at = {}
    for i, chain in enumerate(chains):
        at.setdefault(chain[end], []).append((x[chain[neighbour]], i))
    ports = {}
    for node, edges in at.items():
        edges.sort()
        w = width_of[node] * 0.6
        k = len(edges)
        for j, (_, i) in enumerate(edges):
            ports[i] = x[node] + (0 if k == 1 else -w / 2 + w * j / (k - 1))
    return ports
