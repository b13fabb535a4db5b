"""Crafted assemblies (DESIGN.md §4 DUT files) for the end-to-end tests."""

WAVELENGTHS = {"SM": [1310, 1550], "MM": [850, 1300]}


def dut(fibers=12, mode="SM", polarity="B", il=None, rl=None, map=None, sigma=0.0, drift=0.0,
        il_b=None, rl_b=None):
    """A DUT whose every fibre has IL `il` and RL `rl` unless overridden.

    `il`/`rl` may be a number or a function (fiber, wavelength) -> value.
    """
    il = 0.10 if il is None else il
    # Typical good connectors, with margin over the Elite minimum (65 dB APC,
    # 35 dB PC) for the RL meter's noise, which grows towards its 75 dB range.
    rl = (70.0 if mode == "SM" else 45.0) if rl is None else rl
    il_b = il if il_b is None else il_b
    rl_b = rl if rl_b is None else rl_b

    def values(spec, wavelength):
        return [float(spec(f, wavelength)) if callable(spec) else float(spec) for f in range(1, fibers + 1)]

    def end(il_spec, rl_spec):
        return {"il_db": {str(w): values(il_spec, w) for w in WAVELENGTHS[mode]},
                "rl_db": {str(w): values(rl_spec, w) for w in WAVELENGTHS[mode]}}

    return {"fibers": fibers, "mode": mode, "polarity": polarity, "map": map,
            "ends": {"A": end(il, rl), "B": end(il_b, rl_b)},
            "mating": {"sigma_db": sigma, "drift_db_per_1000": drift}}


def one_fibre(value, fiber, otherwise, wavelength=None):
    """IL/RL spec: `value` on one fibre (optionally one wavelength), `otherwise` elsewhere."""
    return lambda f, w: value if f == fiber and (wavelength is None or w == wavelength) else otherwise
