"""Real SCPI clients against the simulated bench.

pyvisa-py (the `@py` backend) opens every resource the station file names,
over the real ptys and TCP ports; PyMeasure's ThorlabsPM100USB driver reads
power and sets the wavelength on the PM100 simulator. If these clients
disagree with our simulators, the simulators are wrong.
"""

import sys
import unittest

import pyvisa
from pymeasure.adapters import VISAAdapter
from pymeasure.instruments.thorlabs import ThorlabsPM100USB

from simbench import SimProcess, unittest_main

MPOBENCH = None


def open_resource(manager, entry):
    resource = manager.open_resource(entry["resource"], read_termination="\n", write_termination="\n",
                                     timeout=5000)
    if entry["resource"].startswith("ASRL"):
        resource.baud_rate = entry.get("baud", 9600)
    return resource


class RealClients(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = SimProcess(MPOBENCH, "--random", "11").__enter__()
        cls.manager = pyvisa.ResourceManager("@py")

    @classmethod
    def tearDownClass(cls):
        cls.manager.close()
        code, out, err = cls.sim.stop()
        cls.sim.__exit__(None, None, None)
        assert code == 0, f"sim exited {code}: {err}"

    def entries(self):
        entries = dict(self.sim.station["instruments"])
        entries["operator"] = {"resource": self.sim.station["operator"]["resource"]}
        return entries

    def test_station_uses_both_transports(self):
        resources = [e["resource"] for e in self.entries().values()]
        self.assertTrue(any(r.startswith("ASRL") for r in resources), resources)
        self.assertTrue(any(r.startswith("TCPIP") for r in resources), resources)

    def test_every_resource_identifies_and_keeps_an_error_queue(self):
        for name, entry in self.entries().items():
            with self.subTest(instrument=name, resource=entry["resource"]):
                inst = open_resource(self.manager, entry)
                try:
                    idn = inst.query("*IDN?").split(",")
                    self.assertEqual(len(idn), 4, idn)
                    self.assertTrue(all(field.strip() for field in idn), idn)
                    code, _, message = inst.query("SYST:ERR?").partition(",")
                    self.assertEqual(int(code), 0, message)
                    inst.write(":NO:SUCH:HEADER 12")
                    code, _, message = inst.query("SYST:ERR?").partition(",")
                    self.assertTrue(-199 <= int(code) <= -100, f"{code},{message}")
                    self.assertEqual(int(inst.query("SYST:ERR?").partition(",")[0]), 0)
                    self.assertEqual(inst.query("*OPC?").strip(), "1")
                finally:
                    inst.close()

    def test_pymeasure_pm100_reads_power_and_sets_wavelength(self):
        entry = self.sim.station["instruments"]["monitor"]
        self.assertEqual(entry["model"], "thorlabs-pm100")
        adapter = VISAAdapter(entry["resource"], visa_library="@py", timeout=5000)
        # PyMeasure 0.9 passes only a few keywords to pyvisa; the line
        # settings are VISA attributes of the connection.
        adapter.connection.baud_rate = entry["baud"]
        try:
            meter = ThorlabsPM100USB(adapter)
            self.assertTrue(meter.is_power)
            meter.wavelength = 1550
            self.assertAlmostEqual(meter.wavelength, 1550, places=3)
            self.assertLess(meter.wavelength_min, 1310)
            self.assertGreater(meter.wavelength_max, 1550)
            power_w = meter.measure_power(1310)
            self.assertAlmostEqual(meter.wavelength, 1310, places=3)
            self.assertGreater(power_w, 0.0)
            self.assertLess(power_w, 0.1)
        finally:
            adapter.connection.close()


if __name__ == "__main__":
    unittest_main(sys.modules[__name__])
