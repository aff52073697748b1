"""Small, valid mzML and mzXML files written by hand for reader tests (base64 peak arrays)."""

from __future__ import annotations

import base64
import zlib

import numpy as np

MZML_HEAD = """<?xml version="1.0" encoding="utf-8"?>
<mzML xmlns="http://psi.hupo.org/ms/mzml" version="1.1.0" id="test">
  <cvList count="2">
    <cv id="MS" fullName="Proteomics Standards Initiative Mass Spectrometry Ontology" version="4.1.0"
        URI="https://raw.githubusercontent.com/HUPO-PSI/psi-ms-CV/master/psi-ms.obo"/>
    <cv id="UO" fullName="Unit Ontology" URI="http://ontologies.berkeleybop.org/uo.obo"/>
  </cvList>
  <run id="run1">
    <spectrumList count="{count}">
"""
MZML_TAIL = """    </spectrumList>
  </run>
</mzML>
"""


def _b64(arr: np.ndarray, dtype: str, compress: bool, byteorder: str = "<") -> str:
    raw = np.asarray(arr, dtype=np.dtype(dtype).newbyteorder(byteorder)).tobytes()
    if compress:
        raw = zlib.compress(raw)
    return base64.b64encode(raw).decode()


def _mzml_array(arr, name, accession, bits, compress, encoded=None):
    dtype = "f8" if bits == 64 else "f4"
    data = encoded if encoded is not None else _b64(arr, dtype, compress)
    comp = ('<cvParam cvRef="MS" accession="MS:1000574" name="zlib compression" value=""/>' if compress
            else '<cvParam cvRef="MS" accession="MS:1000576" name="no compression" value=""/>')
    bits_param = ('<cvParam cvRef="MS" accession="MS:1000523" name="64-bit float" value=""/>' if bits == 64
                  else '<cvParam cvRef="MS" accession="MS:1000521" name="32-bit float" value=""/>')
    return f"""          <binaryDataArray encodedLength="{len(data)}">
            {bits_param}
            {comp}
            <cvParam cvRef="MS" accession="{accession}" name="{name}" value=""/>
            <binary>{data}</binary>
          </binaryDataArray>
"""


def mzml_spectrum(index, scan, ms_level, mz, intensity, precursor_mz=None, charge=None,
                  rt_minutes=None, polarity="positive", compress=True, bad_binary=False):
    pol = ('<cvParam cvRef="MS" accession="MS:1000130" name="positive scan" value=""/>' if polarity == "positive"
           else '<cvParam cvRef="MS" accession="MS:1000129" name="negative scan" value=""/>')
    rt = ""
    if rt_minutes is not None:
        rt = (f'<cvParam cvRef="MS" accession="MS:1000016" name="scan start time" value="{rt_minutes}" '
              'unitCvRef="UO" unitAccession="UO:0000031" unitName="minute"/>')
    prec = ""
    if precursor_mz is not None:
        ch = (f'<cvParam cvRef="MS" accession="MS:1000041" name="charge state" value="{charge}"/>'
              if charge is not None else "")
        prec = f"""        <precursorList count="1">
          <precursor>
            <selectedIonList count="1">
              <selectedIon>
                <cvParam cvRef="MS" accession="MS:1000744" name="selected ion m/z" value="{precursor_mz!r}"
                         unitCvRef="MS" unitAccession="MS:1000040" unitName="m/z"/>
                {ch}
              </selectedIon>
            </selectedIonList>
            <activation>
              <cvParam cvRef="MS" accession="MS:1000133" name="collision-induced dissociation" value=""/>
            </activation>
          </precursor>
        </precursorList>
"""
    mz_enc = "%%%not base64%%%" if bad_binary else None
    return f"""      <spectrum index="{index}" id="controllerType=0 controllerNumber=1 scan={scan}" defaultArrayLength="{len(mz)}">
        <cvParam cvRef="MS" accession="MS:1000511" name="ms level" value="{ms_level}"/>
        {pol}
        <scanList count="1">
          <cvParam cvRef="MS" accession="MS:1000795" name="no combination" value=""/>
          <scan>
            {rt}
          </scan>
        </scanList>
{prec}        <binaryDataArrayList count="2">
{_mzml_array(mz, "m/z array", "MS:1000514", 64, compress, mz_enc)}{_mzml_array(intensity, "intensity array", "MS:1000515", 32, compress)}        </binaryDataArrayList>
      </spectrum>
"""


def write_mzml(path, spectra: list[dict]) -> None:
    """spectra: dicts of mzml_spectrum keyword arguments (index is filled in)."""
    body = "".join(mzml_spectrum(i, **s) for i, s in enumerate(spectra))
    path.write_text(MZML_HEAD.format(count=len(spectra)) + body + MZML_TAIL)


def _mzxml_peaks(mz, intensity, compress):
    pairs = np.empty(2 * len(mz), dtype=">f8")
    pairs[0::2] = mz
    pairs[1::2] = intensity
    raw = pairs.tobytes()
    if compress:
        raw = zlib.compress(raw)
        attrs = f'compressionType="zlib" compressedLen="{len(raw)}"'
    else:
        attrs = 'compressionType="none" compressedLen="0"'
    data = base64.b64encode(raw).decode()
    return f'<peaks precision="64" byteOrder="network" contentType="m/z-int" {attrs}>{data}</peaks>'


def write_mzxml(path, ms1: dict, ms2: list[dict], compress=False) -> None:
    """One MS1 scan (num=1) with MS2 scans nested inside it (num=2, 3, ...), as instruments write."""
    inner = []
    for k, s in enumerate(ms2):
        prec = ""
        if s.get("precursor_mz") is not None:
            ch = f' precursorCharge="{s["charge"]}"' if s.get("charge") is not None else ""
            prec = f'<precursorMz precursorIntensity="1000"{ch}>{s["precursor_mz"]!r}</precursorMz>'
        inner.append(
            f'    <scan num="{k + 2}" msLevel="2" peaksCount="{len(s["mz"])}" polarity="{s.get("polarity", "+")}" '
            f'retentionTime="PT{s["rt_seconds"]}S" collisionEnergy="20">\n'
            f'      {prec}\n      {_mzxml_peaks(s["mz"], s["intensity"], compress)}\n    </scan>\n')
    text = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
        '<mzXML xmlns="http://sashimi.sourceforge.net/schema_revision/mzXML_3.2">\n'
        f' <msRun scanCount="{1 + len(ms2)}">\n'
        f'  <scan num="1" msLevel="1" peaksCount="{len(ms1["mz"])}" polarity="+" '
        f'retentionTime="PT{ms1["rt_seconds"]}S">\n'
        f'    {_mzxml_peaks(ms1["mz"], ms1["intensity"], compress)}\n'
        + "".join(inner) +
        '  </scan>\n </msRun>\n</mzXML>\n')
    path.write_text(text)
